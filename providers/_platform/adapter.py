"""One adapter for the platform behind StableDiffusionAPI v3 and ModelsLab v6.

Both providers take a flat JSON body with the key in it (``BodyKeyAuth``, added by the runtime),
answer with the same envelope (:mod:`.answers`), are fetched by ``POST <fetch path>/{id}`` with
only the key in the body, and post the same webhook payload (reference 2.1, 3.1, 3.5).  What
differs is data, in a :class:`PlatformProvider`: the spec (capability table, options, image
transport) and the paths.  An unset output size that breaks the table's limits is fitted by the
core before the adapter sees the image (the size rows' ``fit_when_unset``).

The body is the core's (``request.body()``: every plain row and option, encoded as the table
says) plus what only the adapter can write, the rows the table marks
:class:`~inpaintkit.wiremap.Custom`: the images (a URL; inline base64 only where the provider's
image transport allows it AND the job asked for it through the provider's
``inline_images_option``, which also sends ``base64: "yes"``, reference 3.2: the output then
switches to base64 too, so it is never a side effect) and the output size (the job's, else the
image's own).  The fetch request is built
from the task id, never by following the answer's absolute ``fetch_result`` URL: the runtime
sends the key only to the provider's base URL.
"""

from __future__ import annotations

import functools
from typing import Any
from urllib.parse import quote

import attrs
from inpaintkit.checking import CheckedRequest
from inpaintkit.errors import FieldError, ValidationError
from inpaintkit.images import sniff_format, to_base64, to_data_url
from inpaintkit.options import option_paths
from inpaintkit.provider import (
    HttpRequest,
    HttpResponse,
    ImageTransport,
    PreparedImage,
    ProviderSpec,
    TaskHandle,
    TaskState,
)
from inpaintkit.wiremap import as_string, wire_paths

from .answers import Reader, SamplerReader

__all__ = ["INLINE_FLAG", "PlatformAdapter", "PlatformProvider"]

INLINE_FLAG = "base64"
"""The platform's switch for inline (base64) input images: 'Pass init_image and mask_image as
base64 strings to get a base64 response' (reference 3.2); it also makes the output base64, so
it is sent only as the user's explicit option, never added by the adapter."""


@attrs.frozen
class PlatformProvider:
    """What one provider of the platform is, as data."""

    spec: ProviderSpec
    submit_path: str
    fetch_path: str
    """With ``{id}`` for the task id (the path form of fetch, as in ``fetch_result``)."""
    echo_sampler: SamplerReader | None = None
    """How the provider's ``meta`` names the sampler it ran (``None``: it does not)."""


class PlatformAdapter:
    """Translates neutral jobs to platform requests and its answers to task states (no I/O).

    ``data_url_prefix`` chooses how inline images are written (only where the provider's image
    transport allows bytes): ``True`` sends ``data:image/png;base64,...``, ``False`` bare base64.
    The platform documents neither form exactly (reference 3.2, UNVERIFIED); the data URL is
    what its own ``base64_to_url`` helper takes, and a server wanting bare base64 most likely
    strips a prefix, while the reverse is not true.
    """

    def __init__(self, provider: PlatformProvider, *, data_url_prefix: bool = True) -> None:
        self._provider = provider
        self._data_url_prefix = data_url_prefix
        self._reader = Reader(provider.spec.id, provider.spec.capabilities, provider.echo_sampler)

    @property
    def spec(self) -> ProviderSpec:
        """The provider's data (capability table, options, auth, poll policy)."""
        return self._provider.spec

    # --- submit ------------------------------------------------------------------------------

    def build_submit(self, request: CheckedRequest) -> HttpRequest:
        """``POST <submit path>`` with the table's fields, the images and the output size."""
        body = request.body()
        inline = self._inline_asked(request)
        for wire_name, field, image in (
            ("init_image", "image", request.image),
            ("mask_image", "mask", request.mask),
        ):
            body[wire_name] = self._image(image, field, inline=inline)
        body.update(self._size(request))
        return HttpRequest("POST", self._provider.submit_path, json=self._in_table_order(body))

    def parse_submit(self, request: CheckedRequest, response: HttpResponse) -> TaskState:
        """``Done`` for an immediate success, ``Pending`` for processing, else ``Failed``."""
        return self._reader.response(response, phase="submit")

    def _inline_asked(self, request: CheckedRequest) -> bool:
        """Whether the job asked for inline images (the spec's ``inline_images_option``)."""
        name = self.spec.inline_images_option
        allowed = self.spec.image_transport is ImageTransport.URL_OR_BASE64
        return allowed and name is not None and getattr(request.options, name, None) is True

    def _image(self, image: PreparedImage, field: str, *, inline: bool) -> str:
        """The wire value of one input image: its URL, or inline data when asked for."""
        if inline and image.data is not None:
            if not self._data_url_prefix:
                return to_base64(image.data)
            fmt = image.format or sniff_format(image.data) or "png"
            return to_data_url(image.data, fmt)
        if image.url is not None:
            return image.url
        name = self.spec.inline_images_option
        rule = f"{self.spec.id} takes images as links and none was prepared; pass a URL or " + (
            "configure an image host"
            if name is None or self.spec.image_transport is ImageTransport.URL
            else f"configure an image host, or set the option {name}=true to send them inline"
        )
        raise ValidationError([FieldError(f"$.{field}", rule, image)], provider=self.spec.id)

    def _size(self, request: CheckedRequest) -> dict[str, str]:
        """The output size: the job's, else the image's own (the neutral meaning of an unset
        size; the core has fitted it to the table's limits where the table says so), else
        nothing (a URL passed through: the provider's default applies)."""
        job, image = request.job, request.image
        if job.width is not None and job.height is not None:
            width, height = job.width, job.height
        elif image.width and image.height:
            width, height = image.width, image.height
        else:
            return {}
        return {"width": as_string(width), "height": as_string(height)}

    def _in_table_order(self, body: dict[str, Any]) -> dict[str, Any]:
        """The body in the table's row order (then options, then the rest): one stable key
        order, derived rather than restated, for journals and golden tests."""
        rank = self._rank
        last = len(rank)
        return dict(sorted(body.items(), key=lambda item: rank.get(item[0], last)))

    @functools.cached_property
    def _rank(self) -> dict[str, int]:
        """Each wire path's place in the table's order, worked out once (the spec is fixed)."""
        order = [p for row in self.spec.capabilities for p in wire_paths(row)]
        order += list(option_paths(self.spec.options))
        return {path: i for i, path in enumerate(dict.fromkeys(order))}

    # --- fetch and webhooks --------------------------------------------------------------------

    def build_poll(self, handle: TaskHandle) -> HttpRequest:
        """``POST <fetch path>/{id}`` with an empty object for the runtime to put the key in."""
        task_id = handle.task_id.strip()
        if not task_id:
            rule = f"must be a non-empty {self.spec.id} task id"
            raise ValidationError(
                [FieldError("$.task_id", rule, handle.task_id)], provider=self.spec.id
            )
        path = self._provider.fetch_path.format(id=quote(task_id, safe=""))
        return HttpRequest("POST", path, json={})

    def parse_poll(self, handle: TaskHandle, response: HttpResponse) -> TaskState:
        """The fetch answer's state; an empty success falls back to the handle's future_links."""
        return self._reader.response(response, phase="poll", handle=handle)

    def parse_webhook(self, body: Any) -> TaskState:
        """A webhook payload (reference 3.5), read like a fetch answer."""
        return self._reader.state(body, status=None, phase="webhook")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(id={self.spec.id!r})"
