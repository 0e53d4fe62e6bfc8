"""The frontend's entrypoint (images/frontend/ipp-frontend) run as a process: keyed copies of both
connection files, private to the user, then the command exec'd; clear refusals otherwise."""
import json
import os
import resource
import shutil
import stat
import subprocess
import sys
import tempfile
import unittest

from helpers import FRONTEND, env_without_ipp

FILES = ("ipcontroller-engine.json", "ipcontroller-client.json")
# Prints its pid and arguments: the pid shows whether it was exec'd (the same process) or started.
COMMAND = [sys.executable, "-c", "import os, sys; print('command', os.getpid(), sys.argv[1:])", "a b"]


class FrontendTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="ipp-frontend-test-")
        self.addCleanup(shutil.rmtree, self.dir, ignore_errors=True)
        self.source = os.path.join(self.dir, "connection")
        os.mkdir(self.source)
        self.infos = {
            "ipcontroller-engine.json": {"interface": "tcp://ipp-frontend", "registration": 10101, "control": 10102, "broadcast": [10107, 10108]},
            "ipcontroller-client.json": {"interface": "tcp://ipp-frontend", "registration": 10101, "notification": 10113, "task_scheme": "leastload"},
        }
        for name, info in self.infos.items():
            with open(os.path.join(self.source, name), "w") as f:
                json.dump({**info, "signature_scheme": "hmac-sha256", "pack": "json", "unpack": "json"}, f)
        self.key_file = self.write("session-key", "s3cret\n")
        self.target = os.path.join(self.dir, "profile", "security")  # not there yet

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def env(self, **overrides):
        env = env_without_ipp(IPP_CONNECTION_DIR=self.source, IPP_KEY_FILE=self.key_file, IPP_SECURITY_DIR=self.target)
        env.pop("JUPYTER_TOKEN_FILE", None)
        for name, value in overrides.items():
            if value is None:
                env.pop(name, None)
            else:
                env[name] = value
        return env

    def run_frontend(self, *command, preexec_fn=None, **env):
        """(exit status, stdout, stderr, pid) of `ipp-frontend COMMAND...`."""
        proc = subprocess.Popen(
            [sys.executable, str(FRONTEND), *command], env=self.env(**env), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=preexec_fn
        )
        out, err = proc.communicate(timeout=30)
        return proc.returncode, out, err, proc.pid

    def assert_refused(self, result, message):
        status, out, err, _pid = result
        self.assertNotEqual(status, 0)
        self.assertIn(message, err)
        self.assertNotIn("Traceback", err)
        self.assertNotIn("command", out, "the command ran")

    def keyed(self, name):
        with open(os.path.join(self.target, name)) as f:
            return json.load(f)

    def test_writes_private_keyed_copies_of_both_files_then_execs_the_command(self):
        status, out, err, pid = self.run_frontend(*COMMAND)
        self.assertEqual(status, 0, err)
        for name in FILES:
            with open(os.path.join(self.source, name)) as f:
                original = json.load(f)
            self.assertNotIn("key", original)
            self.assertEqual(self.keyed(name), {**original, "key": "s3cret"}, "not the same file with the key added")
            self.assertEqual(stat.S_IMODE(os.stat(os.path.join(self.target, name)).st_mode), 0o600)
        self.assertEqual(stat.S_IMODE(os.stat(self.target).st_mode), 0o700)
        self.assertEqual(sorted(os.listdir(self.target)), sorted(FILES), "a temporary file was left behind")
        lines = out.splitlines()
        self.assertEqual(lines[0], f"ipp-frontend: wrote keyed {', '.join(FILES)} to {self.target}")
        self.assertEqual(lines[2], f"ipp-frontend: exec {' '.join(COMMAND)}")
        self.assertEqual(lines[3], f"command {pid} ['a b']", "the command was not exec'd in the entrypoint's process")

    def test_the_command_gets_the_most_open_files_the_container_allows(self):
        _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        low = min(hard, 256)
        show = [sys.executable, "-c", "import resource; print('limit', *resource.getrlimit(resource.RLIMIT_NOFILE))"]
        status, out, err, _pid = self.run_frontend(*show, preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (low, hard)))
        self.assertEqual(status, 0, err)
        self.assertIn(f"ipp-frontend: open files: at most {hard}", out.splitlines())
        self.assertEqual(out.splitlines()[-1], f"limit {hard} {hard}", "the command kept the lower limit")

    def test_a_new_key_rewrites_the_keyed_copies(self):
        self.assertEqual(self.run_frontend("true")[0], 0)
        self.write("session-key", "another\n")
        self.assertEqual(self.run_frontend("true")[0], 0)
        self.assertEqual({self.keyed(name)["key"] for name in FILES}, {"another"})

    def test_an_empty_key_file_is_refused(self):
        self.write("session-key", " \n")
        self.assert_refused(self.run_frontend(*COMMAND), f"ipp-frontend: {self.key_file} is empty; the controller must not run unsigned")
        self.assertFalse(os.path.exists(self.target), "files were written without a key")

    def test_each_variable_is_required(self):
        for name in ("IPP_CONNECTION_DIR", "IPP_KEY_FILE", "IPP_SECURITY_DIR"):
            for value in (None, ""):
                with self.subTest(name=name, value=value):
                    self.assert_refused(self.run_frontend(*COMMAND, **{name: value}), f"ipp-frontend: environment variable {name} must be set")

    def test_a_notebook_needs_a_token(self):
        empty = self.write("token", "\n")
        message = f"ipp-frontend: {empty} is empty; refusing to serve a notebook without a token"
        self.assert_refused(self.run_frontend(*COMMAND, JUPYTER_TOKEN_FILE=empty), message)
        token = self.write("token", "t0ken\n")
        self.assertEqual(self.run_frontend(*COMMAND, JUPYTER_TOKEN_FILE=token)[0], 0)

    def test_without_a_command_it_says_how_to_use_it(self):
        self.assert_refused(self.run_frontend(), "usage: ipp-frontend COMMAND [ARGS...]")


if __name__ == "__main__":
    unittest.main(buffer=True)
