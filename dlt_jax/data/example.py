"""The one in-memory example every reader yields, and the error that names a broken one."""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from PIL import Image, UnidentifiedImageError


class ExampleError(ValueError):
    """A broken example: which one, which field, and what is wrong with it."""

    def __init__(self, example_id: str, field: str, message: str):
        super().__init__(f"{example_id}: {field}: {message}")
        self.example_id = example_id
        self.field = field
        self.message = message

    def __reduce__(self):  # so errors cross process boundaries (multi-process builds)
        return type(self), (self.example_id, self.field, self.message)

    def as_dict(self) -> dict[str, str]:
        return {"id": self.example_id, "field": self.field, "message": self.message}


class DatasetError(ValueError):
    """A data set that cannot be read at all (missing folder, broken config)."""


@dataclasses.dataclass(frozen=True)
class Example:
    """A section: screenshot, html object and (for training data) its layout.

    `layout` is `{"structure": ..., "props": ...}` as a JsonObject, or None for
    inference input. `screenshot` is a local file (downloads are cached files)
    or the image bytes themselves.
    """

    id: str
    html: Any
    layout: Any | None = None
    screenshot: Path | bytes | None = None
    screenshot_size: tuple[int, int] | None = None  # (width, height) as declared by the data
    html_boxes: list | None = None
    category: str | None = None
    used_elements: list | None = None
    split: str | None = None
    source: str = ""
    extra: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def load_screenshot(self) -> Image.Image:
        """Decodes the screenshot as RGB; ExampleError names what went wrong."""
        if self.screenshot is None:
            raise ExampleError(self.id, "screenshot", "no screenshot given")
        if isinstance(self.screenshot, Path) and not self.screenshot.is_file():
            raise ExampleError(self.id, "screenshot", f"file not found: {self.screenshot}")
        try:
            source = io.BytesIO(self.screenshot) if isinstance(self.screenshot, bytes) else self.screenshot
            with Image.open(source) as image:
                image.load()
                return image.convert("RGB")
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
            raise ExampleError(self.id, "screenshot", f"cannot decode image {self._where()}: {error}") from None

    def image_size(self) -> tuple[int, int]:
        """(width, height) of the screenshot: as the data declares it, else read from the image."""
        width, height = self.screenshot_size or self.load_screenshot().size
        return int(width), int(height)

    def _where(self) -> str:
        return str(self.screenshot) if isinstance(self.screenshot, Path) else f"({len(self.screenshot)} bytes)"
