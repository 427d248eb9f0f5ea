"""Development server (placeholder until the live-reload server lands): build once, then serve."""

from __future__ import annotations

import functools
import http.server
import sys
from pathlib import Path

from backoffice_site.build import BuildOptions, build
from backoffice_site.diagnostics import count_line


def serve(root: Path, host: str, port: int, *, open_browser: bool = False, drafts: bool = False) -> int:
    out = root / "public"
    result = build(BuildOptions(root=root, out=out, drafts=drafts))
    for d in result.diagnostics:
        print(d.format(), file=sys.stderr)
    if not result.ok:
        print(count_line(result.diagnostics), file=sys.stderr)
        return 1
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(out))
    with http.server.ThreadingHTTPServer((host, port), handler) as httpd:
        print(f"serving {out} at http://{host}:{httpd.server_port}/ (Ctrl-C to stop)", file=sys.stderr)
        try:
            httpd.serve_forever()
        except KeyboardInterrupt:
            print("\nstopped", file=sys.stderr)
    return 0
