"""Drive headless Chromium for the project's HTML pages: the DOM after the page's
scripts ran, and a screenshot.

    python -m feedpipe.browser which                  # the binary in use
    python -m feedpipe.browser dom PAGE               # print the DOM after `load`
    python -m feedpipe.browser screenshot PAGE OUT.png

Tests of generated pages (the report, the docs site) open them here to check
that they render in a real browser, not just that the HTML parses. The binary is
`$FEED_CHROMIUM`, else `chromium` or `chromium-browser` on PATH (Debian's
package: `apt-get install chromium`, or `make chromium`); none found raises
`ChromiumNotFound`, never a skip and never a download. Each call starts one
browser with a throwaway profile, no network beyond localhost (every other host
name fails to resolve, background services are off), and a timeout.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

NAMES = ("chromium", "chromium-browser")
ENV_VAR = "FEED_CHROMIUM"
INSTALL_HINT = (
    "install Debian's package (`apt-get install chromium`, as root) or run `make chromium`, "
    f"or set ${ENV_VAR} to a Chromium binary"
)
DEFAULT_TIMEOUT_S = 60.0

# Headless, no sandbox (root in containers), no GPU, no first-run or background
# traffic, and every host but localhost unresolvable: pages are checked offline.
BASE_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-sync",
    "--metrics-recording-only",
    "--mute-audio",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
)


class ChromiumNotFound(RuntimeError):
    """No Chromium binary: the message says how to install one."""


class ChromiumError(RuntimeError):
    """Chromium ran but failed, or ran past its timeout."""


def find_chromium() -> str:
    """The Chromium binary: `$FEED_CHROMIUM`, else `chromium` or `chromium-browser`
    on PATH. Raises ChromiumNotFound naming how to install it."""
    override = os.environ.get(ENV_VAR)
    if override:
        found = shutil.which(override)
        if found is None:
            raise ChromiumNotFound(f"${ENV_VAR}={override} is not an executable: {INSTALL_HINT}")
        return found
    for name in NAMES:
        found = shutil.which(name)
        if found is not None:
            return found
    raise ChromiumNotFound(f"no Chromium binary ({' or '.join(NAMES)}) on PATH: {INSTALL_HINT}")


def page_url(url_or_path: str | os.PathLike[str]) -> str:
    """A URL as is (anything with a scheme: file://, http://localhost, data:,
    about:), a file path as an absolute file:// URL."""
    text = os.fspath(url_or_path)
    if "://" in text or text.startswith(("data:", "about:")):
        return text
    path = Path(text).resolve()
    if not path.exists():
        raise FileNotFoundError(f"no page at {path}")
    return path.as_uri()


def _run(flags: list[str], url: str, timeout_s: float) -> subprocess.CompletedProcess[str]:
    binary = find_chromium()
    with tempfile.TemporaryDirectory(prefix="feed-chromium-") as profile:
        command = [binary, *BASE_FLAGS, f"--user-data-dir={profile}", *flags, url]
        try:
            result = subprocess.run(
                command,
                capture_output=True,
                text=True,
                timeout=timeout_s,
                check=False,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired as error:
            raise ChromiumError(f"chromium ran past {timeout_s:g} s on {url}") from error
    if result.returncode != 0:
        tail = "\n".join(result.stderr.strip().splitlines()[-5:])
        raise ChromiumError(f"chromium exited {result.returncode} on {url}:\n{tail}")
    return result


def dump_dom(
    url_or_path: str | os.PathLike[str],
    virtual_time_budget_ms: int = 5000,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> str:
    """The serialised DOM of the page once it loaded and its scripts ran (for up
    to `virtual_time_budget_ms` of virtual time)."""
    url = page_url(url_or_path)
    result = _run(
        ["--dump-dom", f"--virtual-time-budget={int(virtual_time_budget_ms)}"], url, timeout_s
    )
    if not result.stdout.strip():
        raise ChromiumError(f"chromium printed no DOM for {url}")
    return result.stdout


def screenshot(
    url_or_path: str | os.PathLike[str],
    out_png: str | os.PathLike[str],
    width: int = 1280,
    height: int = 2000,
    virtual_time_budget_ms: int = 5000,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> Path:
    """Write a `width` x `height` PNG of the page to `out_png` and return its path."""
    url = page_url(url_or_path)
    out = Path(out_png).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)
    _run(
        [
            f"--screenshot={out}",
            f"--window-size={int(width)},{int(height)}",
            "--hide-scrollbars",
            f"--virtual-time-budget={int(virtual_time_budget_ms)}",
        ],
        url,
        timeout_s,
    )
    if not out.exists() or out.stat().st_size == 0:
        raise ChromiumError(f"chromium wrote no screenshot of {url} to {out}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="feedpipe.browser", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("which", help="print the Chromium binary in use")
    dom = commands.add_parser("dom", help="print the DOM of PAGE after its scripts ran")
    dom.add_argument("page", help="a file path or URL")
    dom.add_argument("--budget-ms", type=int, default=5000, help="virtual time budget")
    shot = commands.add_parser("screenshot", help="write a PNG of PAGE")
    shot.add_argument("page", help="a file path or URL")
    shot.add_argument("out", type=Path, help="the PNG to write")
    shot.add_argument("--width", type=int, default=1280)
    shot.add_argument("--height", type=int, default=2000)
    args = parser.parse_args(argv)
    try:
        if args.command == "which":
            print(find_chromium())
        elif args.command == "dom":
            print(dump_dom(args.page, virtual_time_budget_ms=args.budget_ms), end="")
        else:
            print(screenshot(args.page, args.out, args.width, args.height))
    except (ChromiumNotFound, ChromiumError, FileNotFoundError) as error:
        print(f"feedpipe.browser: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
