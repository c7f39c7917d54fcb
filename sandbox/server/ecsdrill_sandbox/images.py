"""Images in the sandbox's ECR and the behaviour each one has when it runs.

Pure (no moto): ``moto_adapter.push_image`` puts the image in ECR.
``push_image`` stands in for ``docker push``: it creates the repository if needed and
puts an image with a realistic Docker v2 manifest, whose digest is the SHA-256 of
the manifest bytes as in real ECR. The behaviour is recorded per image digest,
so re-pushing a tag with another behaviour makes a new image, as a new build
would: the tag moves to it and the image it pointed at stays, untagged (see
moto_adapter.put_image). Pushing an image the tag already points at changes nothing,
as ``docker push`` of an image the registry has. Images pushed through the ECR
API (put-image) behave ``healthy``.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field

BEHAVIORS = ("healthy", "crash", "oom", "slow-start", "no-health")

# defaults of a behaviour's runtime profile (simulated seconds / MiB)
DEFAULT_MEMORY_MIB = 64  # what the app needs; a smaller hard limit gets it OOM-killed
DEFAULT_SLOW_START = 90  # seconds before a slow-start app answers
CRASH_AFTER = 3  # seconds a crashing app runs before it exits
CRASH_EXIT_CODE = 1  # a crashing app's exit status unless the push says otherwise
CRASH_REQUIRES = "APP_MODE"  # the setting a crashing app requires unless the push says otherwise
# the name of a setting (an environment variable) a crashing app may require
SETTING_NAME_RE = re.compile(r"^[A-Z][A-Z0-9_]*$")
OOM_AFTER = 12  # seconds an oom app runs before the kernel kills it

ECR_IMAGE_RE = re.compile(
    r"^(?P<acct>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/"
    r"(?P<repo>[^:@]+)(?::(?P<tag>[^@]+))?(?:@(?P<digest>sha256:[0-9a-f]{64}))?$"
)


# what the sandbox's sample app writes to its log (awslogs), by behaviour; {port} is the
# container's first mapped port (80 when it maps none), {requires} the setting a crash image
# requires; "configured" is a crash image whose container sets that setting: it runs healthy
APP_LOG = {
    "healthy": {"start": ["[info] starting app", "[info] listening on 0.0.0.0:{port}"]},
    "crash": {"start": ["[info] starting app"],
              "exit": ["[fatal] required setting {requires} is not set", "[fatal] exiting with status {exit_code}"]},
    "configured": {"start": ["[info] starting app", "[info] required setting {requires} is set",
                             "[info] listening on 0.0.0.0:{port}"]},
    "oom": {"start": ["[info] starting app", "[info] loading the whole catalogue into memory..."]},
    "slow-start": {"start": ["[info] starting app", "[info] warming caches, this takes a while..."],
                   "ready": ["[info] caches warm", "[info] listening on 0.0.0.0:{port}"]},
    "no-health": {"start": ["[info] starting app", "[info] listening on 0.0.0.0:{port} (routes: /)"]},
}


@dataclass
class Behavior:
    kind: str = "healthy"
    memory_mib: int = DEFAULT_MEMORY_MIB
    start_delay: int = DEFAULT_SLOW_START
    exit_code: int = CRASH_EXIT_CODE
    # the setting (environment variable) a crash image needs: without it in the container's
    # environment or secrets it exits; with it, it runs as a healthy app
    requires: str = CRASH_REQUIRES
    extra: dict = field(default_factory=dict)
    # a label for a distinct build of the same behaviour: another digest for the same tag
    # (a re-pushed ``:latest``); empty: the one build, whose digest never changes
    build: str = ""

    def to_json(self) -> dict:
        out = {"behavior": self.kind, "memory_mib": self.memory_mib, "start_delay": self.start_delay}
        if self.exit_code != CRASH_EXIT_CODE:
            # part of the image: another exit code is another build (another digest)
            out["exit_code"] = self.exit_code
        if self.requires != CRASH_REQUIRES:
            # part of the image too: an app that requires another setting is another build
            out["requires"] = self.requires
        if self.build:
            out["build"] = self.build
        return out


@dataclass
class ImageRef:
    """A container image reference, parsed."""

    raw: str
    ecr: bool
    account: str | None = None
    region: str | None = None
    repo: str | None = None
    tag: str | None = None
    digest: str | None = None

    @property
    def host(self) -> str:
        return self.raw.split("/", 1)[0]

    @property
    def ref(self) -> str:
        return self.digest or self.tag or "latest"


def parse_image(image: str) -> ImageRef:
    m = ECR_IMAGE_RE.match(image or "")
    if not m:
        return ImageRef(raw=image, ecr=False)
    tag = m.group("tag")
    digest = m.group("digest")
    if not tag and not digest:
        tag = "latest"
    return ImageRef(
        raw=image,
        ecr=True,
        account=m.group("acct"),
        region=m.group("region"),
        repo=m.group("repo"),
        tag=tag,
        digest=digest,
    )


def docker_parts(image: str) -> tuple[str, str, str]:
    """(registry host, repository path, tag) of a non-ECR image reference."""
    ref = image.split("@")[0]
    name, _, tag = ref.rpartition(":") if ":" in ref.split("/")[-1] else (ref, "", "latest")
    first = name.split("/")[0]
    if "." in first or ":" in first or first == "localhost":
        host, path = first, name.split("/", 1)[1] if "/" in name else name
    else:
        host, path = "registry-1.docker.io", name if "/" in name else f"library/{name}"
    return host, path, tag or "latest"


class ImageRegistry:
    """Behaviours by (account, region, repository, digest)."""

    def __init__(self) -> None:
        self.behaviors: dict[tuple[str, str, str, str], Behavior] = {}

    def clear(self) -> None:
        self.behaviors.clear()

    def behavior_for(self, account: str, region: str, repo: str, digest: str | None) -> Behavior:
        if digest is None:
            return Behavior()
        return self.behaviors.get((account, region, repo, digest), Behavior())

    def remember(self, account: str, region: str, repository: str, digest: str, behavior: Behavior) -> None:
        """The behaviour of the image with this digest (moto_adapter.push_image)."""
        self.behaviors[(account, region, repository, digest)] = behavior


def _sha(*parts: str) -> str:
    return "sha256:" + hashlib.sha256("\0".join(parts).encode()).hexdigest()


def build_manifest(repository: str, tag: str, behavior: Behavior) -> str:
    """A Docker image manifest v2 schema 2 with a base layer shared by every image
    and an app layer unique to repository, tag and behaviour."""
    seed = json.dumps([repository, tag, behavior.to_json()], sort_keys=True)
    layers = [
        # a small distro base layer, the same in every sandbox image
        {"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": 3623807,
         "digest": _sha("ecsdrill-base-layer")},
        {"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": 4215812,
         "digest": _sha("runtime-layer", behavior.kind)},
        {"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
         "size": 10240 + int(hashlib.sha256(seed.encode()).hexdigest()[:4], 16),
         "digest": _sha("app-layer", seed)},
    ]
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {
            "mediaType": "application/vnd.docker.container.image.v1+json",
            "size": 1472 + len(seed) % 512,
            "digest": _sha("config", seed),
        },
        "layers": layers,
    }
    return json.dumps(manifest, indent=3)
