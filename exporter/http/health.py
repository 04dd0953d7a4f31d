"""The container's HEALTHCHECK (`python -m exporter.http.health`): probes `/healthz` on the
listen address the image sets. Kept free of boto3 so it starts fast.
"""

from __future__ import annotations

import sys
import urllib.request

from exporter.http.address import listen_address, probe_url


def main() -> int:
    """Exit 0 when /healthz answers 200 (the image has no curl). TLS listeners are not probed."""
    url = probe_url(listen_address())
    try:
        with urllib.request.urlopen(url, timeout=4) as response:  # noqa: S310 - loopback only
            ok = response.status == 200
    except (OSError, ValueError) as exc:
        print(f"healthcheck: {url}: {exc}", file=sys.stderr)
        return 1
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
