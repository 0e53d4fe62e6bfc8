"""The wire format (ipp_worker.wire): signing round trips, and malformed messages refused cleanly."""
import json
import unittest

from fakes.fake_hub import DELIMITER, header, message, sign
import helpers  # noqa: F401  (puts the package on sys.path)
from ipp_worker.wire import Messages, WireError, msg_type

KEY = b"0123456789abcdef"


class SigningTest(unittest.TestCase):
    def test_a_packed_message_unpacks_to_what_was_packed(self):
        messages = Messages(KEY, "hmac-sha256")
        parent = header("connection_request", "client")
        frames = messages.pack("signal_reply", {"status": "ok"}, parent=parent)
        msg = messages.unpack([b"client-id", *frames])
        self.assertEqual((msg["msg_type"], msg["content"], msg["identities"]), ("signal_reply", {"status": "ok"}, [b"client-id"]))
        self.assertEqual((msg["header"]["session"], msg["header"]["username"], msg["header"]["version"]), (messages.session, "ipp-worker", "5.3"))
        self.assertEqual(json.loads(frames[3]), parent)
        self.assertEqual(msg_type(frames), "signal_reply")

    def test_signatures_are_the_hmac_others_compute(self):
        messages = Messages(KEY, "hmac-sha256")
        frames = messages.pack("connection_request", {})
        self.assertEqual(frames[0], DELIMITER)
        self.assertEqual(frames[1], sign(KEY, frames[2:6]))
        theirs = message(KEY, header("connection_reply", "hub"), {}, {"engines": {}})
        self.assertEqual(messages.unpack(theirs)["content"], {"engines": {}})

    def test_other_digests(self):
        for scheme in ("hmac-sha1", "hmac-sha512", "hmac-md5"):
            with self.subTest(scheme=scheme):
                messages = Messages(KEY, scheme)
                self.assertEqual(messages.unpack(messages.pack("x", {"a": 1}))["content"], {"a": 1})

    def test_unsupported_schemes_are_refused(self):
        for scheme in ("hmac-nope", "rsa-sha256", "hmac-", "sha256", ""):
            with self.subTest(scheme=scheme), self.assertRaises(ValueError) as refused:
                Messages(KEY, scheme)
            self.assertEqual(str(refused.exception), f"unsupported signature scheme {scheme}")


class MalformedTest(unittest.TestCase):
    def setUp(self):
        self.messages = Messages(KEY, "hmac-sha256")
        self.good = [b"id", *self.messages.pack("signal_request", {"sig": 2})]

    def signed(self, header_part, content_part):
        parts = [header_part, b"{}", b"{}", content_part]
        return [DELIMITER, sign(KEY, parts), *parts]

    def test_malformed_messages_are_refused_with_a_wire_error(self):
        table = [
            ("no delimiter", [f for f in self.good if f != DELIMITER], "without the delimiter"),
            ("no frames at all", [], "without the delimiter"),
            ("short: three parts", self.good[:-1], "frames after the delimiter"),
            ("short: the delimiter alone", [DELIMITER], "frames after the delimiter"),
            ("wrong signature", [*self.good[:2], b"0" * 64, *self.good[3:]], "invalid signature"),
            ("signed with another key", [b"id", *Messages(b"another", "hmac-sha256").pack("signal_request", {})], "invalid signature"),
            ("a part changed after signing", [*self.good[:-1], b'{"sig": 9}'], "invalid signature"),
            ("bad JSON", self.signed(b'{"msg_type": "x"}', b"{not json"), "content is not JSON"),
            ("bad UTF-8", self.signed(b'{"msg_type": "x"}', b"\xff\xfe"), "content is not JSON"),
            ("content not an object", self.signed(b'{"msg_type": "x"}', b"[1, 2]"), "content is not a JSON object"),
            ("header not an object", self.signed(b'"x"', b"{}"), "header is not a JSON object"),
            ("no msg_type", self.signed(b'{"msg_id": "1"}', b"{}"), "without a msg_type"),
            ("msg_type not a string", self.signed(b'{"msg_type": 5}', b"{}"), "without a msg_type"),
        ]
        for case, frames, said in table:
            with self.subTest(case), self.assertRaises(WireError) as refused:
                self.messages.unpack(frames)
            self.assertIn(said, str(refused.exception))
            self.assertIsInstance(refused.exception, ValueError)

    def test_msg_type_reads_the_header_without_the_signature_and_refuses_what_has_none(self):
        self.assertEqual(msg_type([*self.good[:2], b"forged", *self.good[3:]]), "signal_request")
        for frames in ([], [DELIMITER, b"sig"], self.signed(b"{bad", b"{}"), self.signed(b"{}", b"{}")):
            with self.subTest(frames=frames), self.assertRaises(WireError):
                msg_type(frames)


if __name__ == "__main__":
    unittest.main()
