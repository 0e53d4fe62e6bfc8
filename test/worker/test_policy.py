"""The worker's decisions (ipp_worker.policy) as tables: facts in, what to do out. No processes, no clocks."""
import unittest

import helpers  # noqa: F401  (puts the package on sys.path)
from ipp_worker.policy import Standing, Timing, Verdict, backoff_after_exit, judge, next_delay, take_back_seconds, taking_back, unregistrations

# The hub waits 60 s for a registering engine; the worker gives it 30 s more, and restarts a
# registered engine after 2 answers that do not list it.
TIMING = Timing(check_seconds=10.0, registration_seconds=60.0)
REGISTERING = Standing(started_at=100.0, hub_at_start="A")
REGISTERED = Standing(started_at=100.0, hub_at_start="A", engine_id=5, registered_with="A")
# Registered with A; the new hub B has accepted to take it back, to list it by 504.0.
TAKEN_BACK = REGISTERED._replace(taken_back_by="B", take_back_until=504.0)


class JudgeTest(unittest.TestCase):
    def test_judge(self):
        # (case, standing, the id the answer lists it under (None: not listed), the hub answering, now, verdict)
        table = [
            ("registering, listed now", REGISTERING, 5, "A", 101.0, Verdict(REGISTERED, None, True)),
            ("registered, listed again", REGISTERED, 5, "A", 500.0, Verdict(REGISTERED)),
            ("registered, listed again after a miss", REGISTERED._replace(misses=1), 5, "A", 500.0, Verdict(REGISTERED)),
            ("registered, listed under another id", REGISTERED, 9, "A", 500.0, Verdict(REGISTERED._replace(engine_id=9))),
            ("registered, a new hub lists it (restored)", REGISTERED, 5, "B", 500.0, Verdict(REGISTERED._replace(registered_with="B"))),
            ("registered, not listed once", REGISTERED, None, "A", 500.0, Verdict(REGISTERED._replace(misses=1))),
            (
                "forgotten: not listed twice",
                REGISTERED._replace(misses=1),
                None,
                "A",
                500.0,
                Verdict(REGISTERED._replace(misses=2), "the controller no longer knows it"),
            ),
            ("new hub: a registered engine it does not list is to be taken back", REGISTERED, None, "B", 500.0, Verdict(REGISTERED, take_back=True)),
            ("new hub: taking it back, not listed yet", TAKEN_BACK, None, "B", 503.0, Verdict(TAKEN_BACK)),
            ("new hub: taken back, listed under its id", TAKEN_BACK, 5, "B", 503.0, Verdict(REGISTERED._replace(registered_with="B"))),
            (
                "new hub: not listed by the time it was to take it back",
                TAKEN_BACK,
                None,
                "B",
                504.5,
                Verdict(TAKEN_BACK, "the new controller did not take it back"),
            ),
            ("another new hub while taking it back: asked again", TAKEN_BACK, None, "C", 501.0, Verdict(TAKEN_BACK, take_back=True)),
            ("new hub while registering", REGISTERING, None, "B", 101.0, Verdict(REGISTERING, "a new controller took over while it was registering")),
            ("new hub while registering slowly", REGISTERING, None, "B", 999.0, Verdict(REGISTERING, "a new controller took over while it was registering")),
            ("registering, just started", REGISTERING, None, "A", 100.0, Verdict(REGISTERING)),
            ("slow registration, within the hub's time and the grace", REGISTERING, None, "A", 190.0, Verdict(REGISTERING)),
            ("slow registration, past the hub's time and the grace", REGISTERING, None, "A", 190.5, Verdict(REGISTERING, "not registered after 90 s")),
        ]
        for case, standing, listed, hub, now, verdict in table:
            with self.subTest(case):
                self.assertEqual(judge(standing, listed, hub, now, TIMING), verdict)

    def test_misses_to_restart_counts_the_answers(self):
        for misses_to_restart in (1, 2, 3):
            with self.subTest(misses_to_restart=misses_to_restart):
                timing = TIMING._replace(misses_to_restart=misses_to_restart)
                standing, verdicts = REGISTERED, []
                for _ in range(misses_to_restart):
                    verdict = judge(standing, None, "A", 500.0, timing)
                    standing = verdict.standing
                    verdicts.append(verdict.restart)
                self.assertEqual(verdicts, [None] * (misses_to_restart - 1) + ["the controller no longer knows it"])


class TakeBackTest(unittest.TestCase):
    def test_a_hub_that_took_an_engine_back_has_a_few_heartbeats_to_list_it(self):
        self.assertEqual(take_back_seconds(1.0), 4.0)
        self.assertEqual(take_back_seconds(3.0), 10.0)
        self.assertEqual(taking_back(REGISTERED, "B", 500.0, 1.0), TAKEN_BACK)


class BackoffTest(unittest.TestCase):
    def test_backoff_after_exit(self):
        # (case, seconds it lived, the pause before its last start, the pause before its next)
        table = [
            ("first quick exit", 0.5, 0.0, 1.0),
            ("second quick exit", 2.0, 1.0, 2.0),
            ("it keeps failing", 5.0, 8.0, 16.0),
            ("up to the maximum", 29.9, 16.0, 30.0),
            ("stays at the maximum", 29.9, 30.0, 30.0),
            ("a run of quick_exit_seconds is long", 30.0, 30.0, 0.0),
            ("a long run", 3600.0, 4.0, 0.0),
        ]
        for case, lived, backoff, expected in table:
            with self.subTest(case):
                self.assertEqual(backoff_after_exit(lived, backoff, TIMING), expected)

    def test_a_run_of_pauses_doubles_from_the_minimum_to_the_maximum(self):
        timing = TIMING._replace(backoff_min_seconds=0.1, backoff_max_seconds=0.4)
        pauses, pause = [], 0.0
        for _ in range(5):
            pause = backoff_after_exit(0.01, pause, timing)
            pauses.append(pause)
        self.assertEqual(pauses, [0.1, 0.2, 0.4, 0.4, 0.4])


class NextDelayTest(unittest.TestCase):
    def test_next_delay(self):
        # (case, an engine registering, the pauses left, jitter, seconds until the next look)
        table = [
            ("one registering", True, [], 1.0, 1.0),
            ("all registered", False, [], 1.0, 10.0),
            ("all registered, spread early", False, [], 0.8, 8.0),
            ("all registered, spread late", False, [], 1.2, 12.0),
            ("a pause ends sooner", False, [3.5], 1.0, 3.5),
            ("a pause ends sooner than the registering's look", True, [0.25, 5.0], 1.0, 0.25),
            ("a pause ends later", False, [20.0], 1.0, 10.0),
            ("a pause is over", False, [-2.0], 1.0, 0.0),
        ]
        for case, registering, pauses, jitter, expected in table:
            with self.subTest(case):
                self.assertAlmostEqual(next_delay(registering=registering, pauses=pauses, timing=TIMING, jitter=jitter), expected)


class UnregistrationsTest(unittest.TestCase):
    def test_unregistrations(self):
        # (case, sessions of the engines gone, the hub's answer, what to unregister)
        table = [
            ("none gone", [], {"a": 1}, {}),
            ("gone and listed: under the id the hub gives now", ["a", "c"], {"a": 1, "c": 7, "d": 4}, {"a": 1, "c": 7}),
            ("gone, no longer listed", ["b"], {"a": 1}, {}),
            ("some listed, some not", ["a", "b"], {"a": 1}, {"a": 1}),
        ]
        for case, sessions, registered, expected in table:
            with self.subTest(case):
                self.assertEqual(unregistrations(sessions, registered), expected)


if __name__ == "__main__":
    unittest.main()
