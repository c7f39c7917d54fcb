"""A ``build`` label on a pushed image (``push_image: {..., build: b2}``) is another build
of the same behaviour: another manifest, so another digest for the same tag (a re-pushed
``:latest``). Without it the digest is what it always was, so images pushed by earlier
builds of ecsdrill, and labs that compare digests, keep theirs."""

from __future__ import annotations

import hashlib
import unittest

import fakes  # noqa: F401 - puts the server package on sys.path
from ecsdrill_sandbox.images import Behavior, build_manifest


def digest(behavior: Behavior, repository: str = "web", tag: str = "latest") -> str:
    return "sha256:" + hashlib.sha256(build_manifest(repository, tag, behavior).encode()).hexdigest()


class ImageBuild(unittest.TestCase):
    def test_a_build_label_changes_the_digest(self):
        plain = digest(Behavior())
        b2 = digest(Behavior(build="b2"))
        b3 = digest(Behavior(build="b3"))
        self.assertNotEqual(plain, b2)
        self.assertNotEqual(b2, b3)
        self.assertEqual(b2, digest(Behavior(build="b2")))  # the same build, the same image
        self.assertEqual(Behavior(build="b2").to_json()["build"], "b2")

    def test_without_a_build_the_digest_is_unchanged(self):
        # the digests this sandbox gave before builds existed
        self.assertEqual(digest(Behavior()),
                         "sha256:6755ce6994e02c2ec867404e05d67971e4b3840b341ba5289db9bf0004d4a1ae")
        self.assertEqual(digest(Behavior(kind="crash", exit_code=3)),
                         "sha256:e86b8ef80d36791b7f9df18ff00aa8ceef6c44702010e1165ccb6d140c2f64b6")
        self.assertEqual(digest(Behavior(build="")), digest(Behavior()))
        self.assertNotIn("build", Behavior().to_json())


if __name__ == "__main__":
    unittest.main()
