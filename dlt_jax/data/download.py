"""Screenshots given as http(s) URLs, downloaded once into a local cache."""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

DEFAULT_CACHE = Path(os.environ.get("DLT_JAX_CACHE", Path.home() / ".cache" / "dlt_jax")) / "screenshots"


class DownloadError(OSError):
    """A URL that could not be fetched; the message says which and why."""


def is_url(path: str) -> bool:
    return path.startswith(("http://", "https://"))


def cached_download(url: str, cache_dir: Path = DEFAULT_CACHE, timeout: float = 30.0) -> Path:
    """The local copy of `url`, fetching it only if the cache does not have it yet."""
    suffix = Path(url.split("?", 1)[0]).suffix[:5] or ".img"
    target = Path(cache_dir) / (hashlib.sha256(url.encode()).hexdigest()[:32] + suffix)
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            data = response.read()
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise DownloadError(f"could not download {url}: {error}") from None
    # Write then rename, so an interrupted download never leaves a truncated file in the cache.
    with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as handle:
        handle.write(data)
    os.replace(handle.name, target)
    return target
