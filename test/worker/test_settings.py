"""The worker's settings (ipp_worker.settings): the timing values and the number of engines come from
the program (lib/runtime.ts) only, with no defaults of the worker's own; and the constants the
TypeScript program agrees with stay literal lines."""
import os
import re
import subprocess
import sys
import tempfile
import unittest
from unittest import mock

from helpers import WORKER, WORKER_DIR, env_without_ipp
from ipp_worker import settings

SETTINGS_FILE = WORKER_DIR / "ipp_worker" / "settings.py"


class EnvironmentTest(unittest.TestCase):
    def run_worker(self, **overrides):
        with tempfile.TemporaryDirectory(prefix="ipp-worker-test-") as d:
            env = env_without_ipp(
                IPP_ENGINES="1",
                IPP_ENGINE_FILE=os.path.join(d, "missing-engine.json"),
                IPP_KEY_FILE=os.path.join(d, "missing-key"),
                IPP_READY_FILE=os.path.join(d, "ready"),
                IPP_CHECK_SECONDS="3",
                IPP_REGISTRATION_SECONDS="120",
            )
            for name, value in overrides.items():
                if value is None:
                    env.pop(name, None)
                else:
                    env[name] = value
            return subprocess.run([sys.executable, str(WORKER), "ipengine"], env=env, capture_output=True, text=True, timeout=30)

    def assert_refused(self, result, message):
        """The worker exited with an error naming the problem, not with a traceback."""
        self.assertNotEqual(result.returncode, 0)
        self.assertIn(message, result.stderr)
        self.assertNotIn("Traceback", result.stderr)

    def assert_exits(self, function, *args, message):
        with self.assertRaises(SystemExit) as exit:
            function(*args)
        self.assertIn(message, str(exit.exception.code))

    def test_registration_and_check_seconds_are_required(self):
        for name in ("IPP_REGISTRATION_SECONDS", "IPP_CHECK_SECONDS"):
            with self.subTest(name=name):
                result = self.run_worker(**{name: None})
                self.assertNotEqual(result.returncode, 0)
                self.assertIn(f"environment variable {name} must be set", result.stderr)
                with mock.patch.dict(os.environ, {name: ""}):
                    self.assert_exits(settings.required_seconds, name, message=f"environment variable {name} must be set")

    def test_registration_and_check_seconds_must_be_positive_numbers(self):
        for name in ("IPP_REGISTRATION_SECONDS", "IPP_CHECK_SECONDS"):
            with self.subTest(name=name):
                result = self.run_worker(**{name: "0"})
                self.assert_refused(result, f"environment variable {name} must be a positive number")
            for value in ("-5", "soon", "nan", "inf", "1e999"):
                with self.subTest(name=name, value=value), mock.patch.dict(os.environ, {name: value}):
                    self.assert_exits(settings.required_seconds, name, message=f"environment variable {name} must be a positive number")
        with mock.patch.dict(os.environ, {"IPP_CHECK_SECONDS": "0.5"}):
            self.assertEqual(settings.required_seconds("IPP_CHECK_SECONDS"), 0.5)

    def test_fork_engines_is_0_or_1(self):
        for value in ("yes", "2", " 1"):
            with self.subTest(value=value):
                result = self.run_worker(IPP_FORK_ENGINES=value)
                self.assert_refused(result, f"environment variable IPP_FORK_ENGINES must be 0 or 1, not {value!r}")

    def test_the_number_of_engines_is_required_and_from_1_to_256(self):
        result = self.run_worker(IPP_ENGINES=None)
        self.assert_refused(result, "environment variable IPP_ENGINES must be set")
        for value in ("0", "257", "x"):
            with self.subTest(value=value):
                result = self.run_worker(IPP_ENGINES=value)
                self.assert_refused(result, f"environment variable IPP_ENGINES must be a whole number from 1 to 256, not {value!r}")
        for value in ("-1", "2.5", " 3", "+3", "3_0", "1e2", "\u0663"):
            with self.subTest(value=value), mock.patch.dict(os.environ, {"IPP_ENGINES": value}):
                self.assert_exits(settings.required_count, "IPP_ENGINES", 256, message="must be a whole number from 1 to 256")
        for value, count in (("1", 1), ("16", 16), ("256", 256)):
            with mock.patch.dict(os.environ, {"IPP_ENGINES": value}):
                self.assertEqual(settings.required_count("IPP_ENGINES", 256), count)

    def test_the_settings_come_whole_from_the_environment(self):
        env = {"IPP_ENGINES": "4", "IPP_ENGINE_FILE": "/e.json", "IPP_KEY_FILE": "/key", "IPP_READY_FILE": "/tmp/ready"}
        env.update(IPP_CHECK_SECONDS="3", IPP_REGISTRATION_SECONDS="120")
        with mock.patch.dict(os.environ, env_without_ipp(**env), clear=True):
            self.assertEqual(settings.from_environ(), settings.Settings(4, "/tmp/ready", 3.0, 120.0, False, "/e.json", "/key", "", "", ""))
            os.environ["IPP_FORK_ENGINES"] = "1"
            self.assertTrue(settings.from_environ().fork)

    def test_without_a_command_the_worker_says_how_to_use_it(self):
        result = subprocess.run([sys.executable, str(WORKER)], env=env_without_ipp(), capture_output=True, text=True, timeout=30)
        self.assert_refused(result, "usage: ipp-worker ipp-engine [flags...]")


class ConstantsTest(unittest.TestCase):
    """The TypeScript program's unit test reads these from settings.py with a regex."""

    def test_max_engines_and_stop_seconds_are_literal_lines_of_settings_py(self):
        text = SETTINGS_FILE.read_text()
        self.assertRegex(text, re.compile(r"^MAX_ENGINES = 256\b", re.M))
        self.assertRegex(text, re.compile(r"^STOP_SECONDS = 7\.0\b", re.M))
        self.assertEqual((settings.MAX_ENGINES, settings.STOP_SECONDS), (256, 7.0))
        self.assertLess(settings.STOP_SECONDS, 15, "shutdown must fit inside the pod's 15 s grace period")

    def test_settings_py_names_the_environment_the_program_sets(self):
        names = set(re.findall(r'"(IPP_[A-Z_]+)"', SETTINGS_FILE.read_text()))
        expected = {
            "IPP_ENGINES",
            "IPP_ENGINE_FILE",
            "IPP_KEY_FILE",
            "IPP_READY_FILE",
            "IPP_CHECK_SECONDS",
            "IPP_REGISTRATION_SECONDS",
            "IPP_FORK_ENGINES",
            "IPP_WATCHER_URL",
            "IPP_POD_NAME",
            "IPP_WORKER_GROUP",
        }
        self.assertEqual(names, expected)


if __name__ == "__main__":
    unittest.main(buffer=True)
