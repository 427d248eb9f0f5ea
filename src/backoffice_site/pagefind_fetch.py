"""Pagefind 1.6 for this machine, from its npm package, into the virtualenv: ``make`` runs
``python -m backoffice_site.pagefind_fetch`` after installing the Python dependencies.

Why not PyPI alone: its newest Pagefind is 1.5.2 (``pagefind[extended]``, still a dependency and the
fallback). That build segments Japanese while indexing with a dictionary (lindera with UniDic), while the
browser segments the query with ``Intl.Segmenter`` (ICU): where the two cut a word differently, the word is
not found. On this repo three of the 113 term names found nothing of their own page in the full-text
index (雇止め, 正社員登用, 産前産後休業), and pages that use them were missed. Pagefind 1.6 segments with
ICU4X while indexing, as the browser does: all 113 are found. It also no longer loads a 330 MB dictionary
on every run (this repo's build with search: 4.4 → 2.0 s). npm carries 1.6.0 for Linux only so far;
elsewhere the PyPI binary stays in use (see ``search.find_binary`` and docs/search.md).

The download is checked against the integrity npm publishes for the package (pinned here), so a changed
file is refused; an unknown platform or no network leaves the PyPI binary in use, with a note.
"""

from __future__ import annotations

import base64
import hashlib
import os
import platform
import sys
from pathlib import Path

VERSION = "1.6.0"
URL = "https://registry.npmjs.org/@pagefind/{package}/-/{package}-{version}.tgz"
MEMBER = "package/bin/pagefind_extended"
# (system, machine) → npm package, and its ``dist.integrity`` (``npm view @pagefind/linux-x64@1.6.0``)
PACKAGES: dict[tuple[str, str], tuple[str, str]] = {
    ("Linux", "x86_64"): ("linux-x64", "sha512-IbMSx/+Vr/Xk0TTBlLkjgK+rvnbOXGmmb2/MKxQu99AR5DsqQoV3NKEA9PQz2t"
                                        "AhuCZjeD5xJBp4w5N5DHIC7Q=="),
    ("Linux", "aarch64"): ("linux-arm64", "sha512-SLB2I+XqCZma8NvIGIH8nyKblgKIxw5PmqsVtofWOKxNHhEtOEsddbqU+hs"
                                          "rNcT3EV0faM6UmKDHVIxcPYq29w=="),
}


class FetchError(Exception):
    """The download was not the published package, or its binary does not run here."""


def installed(prefix: str = sys.prefix) -> Path:
    """Where the binary goes: inside the virtualenv, so a fresh ``make`` fetches it again."""
    return Path(prefix) / "pagefind" / VERSION / "pagefind_extended"


def package_for(system: str | None = None, machine: str | None = None) -> tuple[str, str] | None:
    machine = (machine or platform.machine()).lower()
    machine = {"amd64": "x86_64", "arm64": "aarch64"}.get(machine, machine)
    return PACKAGES.get((system or platform.system(), machine))


def verify(data: bytes, integrity: str) -> None:
    algo, _, expected = integrity.partition("-")
    if algo != "sha512" or base64.b64encode(hashlib.sha512(data).digest()).decode() != expected:
        raise FetchError("the download does not match the integrity npm publishes for the package; refused")


def install(data: bytes, integrity: str, target: Path) -> None:
    """Check ``data`` (the package's .tgz), put its binary at ``target`` in one rename, and run it once."""
    import io
    import subprocess
    import tarfile
    import tempfile  # (imported here: a build only asks for ``installed()``)

    verify(data, integrity)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        member = tar.extractfile(MEMBER)
        if member is None:
            raise FetchError(f"the package has no {MEMBER}")
        binary = member.read()
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(binary)
        os.chmod(tmp, 0o755)
        try:  # a binary for another machine fails here, not in the middle of a build
            out = subprocess.run([tmp, "--version"], capture_output=True, text=True, timeout=30, check=True).stdout
        except (OSError, subprocess.SubprocessError) as exc:
            raise FetchError(f"the Pagefind binary does not run here ({exc})") from exc
        if VERSION not in out:
            raise FetchError(f"the binary says {out.strip()!r}, not Pagefind {VERSION}")
        os.replace(tmp, target)
    except BaseException:
        os.unlink(tmp)
        raise


def fetch(target: Path, package: str, integrity: str, url: str | None = None) -> None:
    import urllib.request

    link = url or URL.format(package=package, version=VERSION)
    with urllib.request.urlopen(link, timeout=120) as response:
        data = response.read()
    install(data, integrity, target)


def main() -> int:
    target = installed()
    if target.is_file() and os.access(target, os.X_OK):
        return 0
    found = package_for()
    if found is None:
        print(f"pagefind_fetch: no Pagefind {VERSION} package for {platform.system()} {platform.machine()}; "
              "the search index uses the PyPI binary (1.5.2)", file=sys.stderr)
        return 0
    try:
        fetch(target, *found)
    except FetchError as exc:
        print(f"pagefind_fetch: error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # no network, a proxy, a full disk: the PyPI binary still works
        print(f"pagefind_fetch: warning: could not fetch Pagefind {VERSION} ({exc}); the search index uses the "
              "PyPI binary (1.5.2), which misses some Japanese words", file=sys.stderr)
        return 0
    print(f"pagefind_fetch: Pagefind {VERSION} installed at {target}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
