"""The web UI mock provider: ``POST /sdapi/v1/img2img``, ``GET /sdapi/v1/samplers`` and
``GET /sdapi/v1/schedulers`` on :mod:`inpaintkit.mockserver`, registered through
``register_mocks``.

The rules live in :mod:`.rules`; this module is the HTTP side.  It uses the mock server's shared
facilities from :class:`~inpaintkit.mockserver.MockContext`: the journal and transport faults
(through ``add_route``), seeded seeds, image decoding under the allow-list, and the
deterministic inpainting fill, which keeps every unmasked pixel and fills the masked area.
Answers are synchronous, like the web UI's: the images are in the response, base64 PNG.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any, Final, Literal

from aiohttp import web
from inpaintkit.mockserver import MockContext, read_json
from inpaintkit.mockserver.contracts import ErrorKind, Rejection, WireImage
from PIL import Image

from . import rules

__all__ = ["MAX_IMAGES", "MAX_PIXELS", "MOCK_ID", "SdWebUiMock"]

MOCK_ID: Final = "sdwebui"
VERSION: Final = "v1.10.1"
MAX_IMAGES: Final = 64
"""More images in one request stand for a GPU running out of memory (a 500, as the server)."""
MAX_PIXELS: Final = 4096 * 4096
"""Larger outputs stand for the same out-of-memory failure."""
MIN_SIDE: Final = 8
"""Below one latent pixel (1/8 of the image) the pipeline cannot run."""
LATENT_FACTOR: Final = 8
"""``opt_f``: one latent pixel is 8x8 image pixels, so a decoded result's sides are multiples
of 8."""
CLIP_LAYERS: Final = 12
"""The SD 1.x text encoder's layers: the most ``CLIP_stop_at_last_layers`` can skip."""

UnknownSampler = Literal["reject", "fallback"]


def _reply(status: int, body: Any) -> web.Response:
    return web.json_response(body, status=status)


class SdWebUiMock:
    """The SD web UI as a mock provider.

    ``api_auth`` is the server's ``--api-auth`` value (``"user:pass[,user2:pass2]"``): HTTP Basic
    is then required.  ``api_enabled=False`` plays a web UI started without ``--api``: every
    ``/sdapi`` path answers FastAPI's 404 ``{"detail": "Not Found"}``.  ``unknown_sampler``
    chooses between the 404 of versions up to v1.8 and v1.9's silent fallback.
    """

    id = MOCK_ID

    def __init__(
        self,
        *,
        api_auth: str | None = None,
        api_enabled: bool = True,
        unknown_sampler: UnknownSampler = "reject",
    ) -> None:
        if unknown_sampler not in ("reject", "fallback"):
            raise ValueError(
                f"unknown_sampler: must be 'reject' or 'fallback', got {unknown_sampler!r}"
            )
        self._credentials = _parse_api_auth(api_auth)
        self.api_enabled = api_enabled
        self.unknown_sampler: UnknownSampler = unknown_sampler

    def __repr__(self) -> str:
        auth = "on" if self._credentials else "off"
        return f"SdWebUiMock(api_auth={auth}, api_enabled={self.api_enabled})"

    def setup(self, app: web.Application, ctx: MockContext) -> None:
        """Add the routes (journaled, subject to faults worded the web UI's way)."""
        self.ctx = ctx
        add = ctx.add_route
        add(app, "POST", "/sdapi/v1/img2img", self.img2img, provider_id=self.id, errors=self)
        add(app, "GET", "/sdapi/v1/samplers", self.samplers, provider_id=self.id, errors=self)
        add(app, "GET", "/sdapi/v1/schedulers", self.schedulers, provider_id=self.id, errors=self)

    # -- errors the web UI's way (the ErrorSource the fault middleware uses) ------------------

    def error(
        self, kind: ErrorKind, message: str | None = None, *, retry_after: float | None = None
    ) -> Rejection:
        """A server-side condition as the web UI (or a proxy in front of it) would answer."""
        status, body = _ERRORS.get(kind, (500, rules.error_body("RuntimeError", kind.value)))
        if message:
            body = {**body, "errors": message}
        return Rejection(status=status, body=body, field=None, rule=kind.value)

    # -- routes ------------------------------------------------------------------------------

    async def samplers(self, request: web.Request) -> web.Response:
        refused = self._gate(request)
        if refused is not None:
            return refused
        return _reply(200, [s.to_json() for s in rules.SAMPLERS])

    async def schedulers(self, request: web.Request) -> web.Response:
        refused = self._gate(request)
        if refused is not None:
            return refused
        return _reply(200, [s.to_json() for s in rules.SCHEDULERS])

    async def img2img(self, request: web.Request) -> web.Response:
        raw = await request.read()
        ok, body = await read_json(request)
        if not ok:
            return _reply(422, {"detail": [_json_error(raw)]})
        refused = self._gate(request)
        if refused is not None:
            return refused
        checked = rules.check_body(body)
        if isinstance(checked, list):
            return _reply(422, {"detail": checked})
        for name in checked.ignored:
            self.ctx.note_ignored(request, name)
        return await self._run(request, checked)

    # -- the request's life --------------------------------------------------------------------

    def _gate(self, request: web.Request) -> web.Response | None:
        """FastAPI's 404 without ``--api``; HTTP Basic under ``--api-auth``.

        A mock server configured with ``valid_keys`` (as the conformance suite's is) plays a
        web UI whose ``--api-auth`` credentials are those keys, each compared whole (a test key
        need not be ``user:password``), so a wrong key can be shown to fail.
        """
        if not self.api_enabled:
            return _reply(404, {"detail": "Not Found"})
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        try:
            credential = base64.b64decode(token, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            credential = ""
        valid_keys = self.ctx.valid_keys_for(credential)
        if not self._credentials and valid_keys is None:
            return None
        if scheme.lower() != "basic" or not token:
            return _reply(401, rules.http_error(401, "Not authenticated"))
        if valid_keys is not None and not self._credentials:
            self.ctx.add_secret(request, credential)
            if credential in valid_keys:
                return None
            return _reply(401, rules.http_error(401, "Incorrect username or password"))
        user, sep, password = credential.partition(":")
        if not sep:
            return _reply(401, rules.http_error(401, "Invalid authentication credentials"))
        self.ctx.add_secret(request, password)
        if self._credentials.get(user) != password:
            return _reply(401, rules.http_error(401, "Incorrect username or password"))
        return None

    async def _run(self, request: web.Request, body: rules.CheckedBody) -> web.Response:
        ctx = self.ctx
        for name in rules.PIPELINE_NUMBERS:
            if name in body.values and body.values[name] is None:
                return _reply(500, _type_error(name))
            if not rules.finite(body.get(name)):
                return _reply(500, rules.error_body("ValueError", f"{name}: cannot convert NaN"))
        init_images = body.values.get("init_images")
        if init_images is None:
            return _reply(404, rules.http_error(404, "Init image not found"))

        mask: Image.Image | None = None
        mask_text = body.values.get("mask")
        if mask_text:
            decoded = await self._decode(request, mask_text, "mask")
            if isinstance(decoded, web.Response):
                return decoded
            mask = decoded

        resolved = rules.resolve_sampler(body.values.get("sampler_name"), body.get("scheduler"))
        if not resolved.known:
            if self.unknown_sampler == "reject":
                return _reply(404, rules.http_error(404, "Sampler not found"))
            ctx.note(request, f"unknown sampler replaced by {resolved.sampler} (v1.9+ fallback)")

        if not init_images:
            return _reply(500, rules.error_body("IndexError", "list index out of range"))
        images: list[Image.Image] = []
        for index, item in enumerate(init_images):
            if not isinstance(item, str):
                name = type(item).__name__
                return _reply(
                    500,
                    rules.error_body(
                        "AttributeError", f"'{name}' object has no attribute 'startswith'"
                    ),
                )
            decoded = await self._decode(request, item, f"init_images[{index}]")
            if isinstance(decoded, web.Response):
                return decoded
            images.append(decoded)

        width, height = int(body.get("width")), int(body.get("height"))
        count = int(body.get("batch_size")) * int(body.get("n_iter"))
        failure = _pipeline_failure(width, height, count, int(body.get("steps")))
        if failure is None and mask is not None and not body.get("inpaint_full_res"):
            failure = _overlay_failure(width, height)
        if failure is None:
            failure = _clip_skip_failure(body.get("override_settings") or {})
        if failure is not None:
            return failure
        seed = ctx.draw_seed(int(body.get("seed")))
        blur = body.get("mask_blur")
        blur = int(body.get("mask_blur_x")) if blur is None else int(blur)
        outputs = await ctx.generate(
            images[0],
            mask if mask is not None else Image.new("L", images[0].size, 255),
            count=count,
            seed=seed,
            fmt="png",
            size=(width, height),
            prompt=str(body.get("prompt")),
            mask_invert=bool(body.get("inpainting_mask_invert")),
            mask_blur=max(blur, 0),
        )
        info = _info(body, resolved, seed, count, width, height)
        parameters = {**rules.DEFAULTS, **body.values, "init_images": None, "mask": None}
        return _reply(
            200,
            {
                "images": [base64.b64encode(o.data).decode("ascii") for o in outputs],
                "parameters": parameters,
                "info": json.dumps(info),
            },
        )

    async def _decode(
        self, request: web.Request, text: str, role: str
    ) -> Image.Image | web.Response:
        """An image the way ``decode_base64_to_image`` reads it: base64, a data: URL, or an
        http(s) URL (fetched only from the allow-list; otherwise a synthetic stand-in)."""
        is_url = text.startswith(("http://", "https://"))
        wire = WireImage(url=text) if is_url else WireImage(base64=text)
        resolved = await self.ctx.resolve_image(
            request, wire, role=role, size=(512, 512), errors=self
        )
        if isinstance(resolved, Rejection):
            return _reply(resolved.status, resolved.body)
        if resolved.decoded.image is None:
            self.ctx.note(request, f"{role}: not a decodable image")
            return _reply(500, rules.http_error(500, "Invalid encoded image"))
        return resolved.decoded.image


def _parse_api_auth(value: str | None) -> dict[str, str]:
    """``--api-auth`` as the web UI splits it: comma-separated ``user:password`` pairs."""
    if not value:
        return {}
    credentials: dict[str, str] = {}
    for pair in value.split(","):
        user, sep, password = pair.partition(":")
        if not sep or not user:
            raise ValueError("api_auth: must be 'user:password' pairs separated by commas")
        credentials[user] = password
    return credentials


def _json_error(raw: bytes) -> dict[str, Any]:
    if not raw:
        return {"loc": ["body"], "msg": "field required", "type": "value_error.missing"}
    try:
        json.loads(raw)
    except json.JSONDecodeError as exc:
        return {
            "loc": ["body", exc.pos],
            "msg": exc.msg,
            "type": "value_error.jsondecode",
            "ctx": {"msg": exc.msg, "doc": "", "pos": exc.pos, "lineno": exc.lineno},
        }
    except UnicodeDecodeError:
        pass
    return {"loc": ["body"], "msg": "Invalid JSON body", "type": "value_error.jsondecode"}


def _type_error(name: str) -> dict[str, Any]:
    """What the pipeline raises on ``None`` where it computes with a number."""
    return rules.error_body(
        "TypeError", f"unsupported operand type(s) for //: 'NoneType' and 'int' ({name} is null)"
    )


def _pipeline_failure(width: int, height: int, count: int, steps: int) -> web.Response | None:
    """The failures of the real pipeline the mock stands in for (no range is validated)."""
    if min(width, height) < MIN_SIDE or count < 1 or steps < 1:
        return _reply(
            500,
            rules.error_body(
                "RuntimeError",
                f"the pipeline cannot run width={width}, height={height}, images={count}, "
                f"steps={steps} (mock: side < {MIN_SIDE}, or no image or step)",
            ),
        )
    if count > MAX_IMAGES or width * height > MAX_PIXELS:
        return _reply(
            500,
            rules.error_body(
                "OutOfMemoryError",
                f"CUDA out of memory (mock: more than {MAX_IMAGES} images or "
                f"{MAX_PIXELS} pixels per image)",
            ),
        )
    return None


def _overlay_failure(width: int, height: int) -> web.Response | None:
    """An inpainting of the whole picture at a side that is not a multiple of 8 fails.

    The result is decoded from a latent of ``side // 8`` pixels, so it is ``(side // 8) * 8``
    wide, while the overlay that puts the unmasked pixels back is ``width`` x ``height``:
    ``apply_overlay``'s ``alpha_composite`` raises PIL's "images do not match" (processing.py,
    ``opt_f = 8``).  Only-masked inpainting resizes the result to the crop box first, and
    without a mask there is no overlay, so both run.
    """
    if width % LATENT_FACTOR == 0 and height % LATENT_FACTOR == 0:
        return None
    return _reply(500, rules.error_body("ValueError", "images do not match"))


def _clip_skip_failure(settings: dict[str, Any]) -> web.Response | None:
    """``CLIP_stop_at_last_layers`` indexes the text encoder's hidden states from the end: SD 1.x
    has 12 layers, so a larger skip (or a non-number) fails inside the pipeline."""
    skip = settings.get("CLIP_stop_at_last_layers")
    if skip is None:
        return None
    if isinstance(skip, bool) or not isinstance(skip, int | float):
        kind = type(skip).__name__
        return _reply(500, rules.error_body("TypeError", f"bad operand type for unary -: '{kind}'"))
    if skip > CLIP_LAYERS:
        return _reply(500, rules.error_body("IndexError", "tuple index out of range"))
    return None


def _info(
    body: rules.CheckedBody,
    resolved: rules.ResolvedSampler,
    seed: int,
    count: int,
    width: int,
    height: int,
) -> dict[str, Any]:
    """``processed.js()``: the generation facts, ``seed`` the one actually used."""
    settings = body.get("override_settings") or {}
    prompt, negative = str(body.get("prompt")), str(body.get("negative_prompt"))
    requested_scheduler = body.values.get("scheduler")
    scheduler = requested_scheduler if isinstance(requested_scheduler, str) else resolved.scheduler
    seeds = [(seed + i) % 2**32 for i in range(count)]
    extra: dict[str, Any] = {"Mask blur": body.get("mask_blur") or body.get("mask_blur_x")}
    if scheduler != "Automatic":
        extra["Schedule type"] = scheduler
    model = settings.get("sd_model_checkpoint") or "mock-inpainting.safetensors"
    infotext = (
        f"{prompt}\nNegative prompt: {negative}\nSteps: {body.get('steps')}, "
        f"Sampler: {resolved.sampler}, CFG scale: {body.get('cfg_scale')}, Seed: {{seed}}, "
        f"Size: {width}x{height}, Model: {model}, "
        f"Denoising strength: {body.get('denoising_strength')}, Version: {VERSION}"
    )
    return {
        "prompt": prompt,
        "all_prompts": [prompt] * count,
        "negative_prompt": negative,
        "all_negative_prompts": [negative] * count,
        "seed": seed,
        "all_seeds": seeds,
        "subseed": seed,
        "all_subseeds": seeds,
        "subseed_strength": 0,
        "width": width,
        "height": height,
        "sampler_name": resolved.sampler,
        "cfg_scale": body.get("cfg_scale"),
        "steps": body.get("steps"),
        "batch_size": body.get("batch_size"),
        "restore_faces": False,
        "face_restoration_model": None,
        "sd_model_name": model,
        "sd_model_hash": None,
        "sd_vae_name": settings.get("sd_vae"),
        "sd_vae_hash": None,
        "seed_resize_from_w": -1,
        "seed_resize_from_h": -1,
        "denoising_strength": body.get("denoising_strength"),
        "extra_generation_params": extra,
        "index_of_first_image": 0,
        "infotexts": [infotext.format(seed=s) for s in seeds],
        "styles": [],
        "job_timestamp": "20240101000000",
        "clip_skip": settings.get("CLIP_stop_at_last_layers", 1),
        "is_using_inpainting_conditioning": False,
        "version": VERSION,
    }


_ERRORS: Final[dict[ErrorKind, tuple[int, dict[str, Any]]]] = {
    ErrorKind.MISSING_KEY: (401, rules.http_error(401, "Not authenticated")),
    ErrorKind.INVALID_KEY: (401, rules.http_error(401, "Incorrect username or password")),
    ErrorKind.RATE_LIMITED: (429, rules.http_error(429, "Too Many Requests")),
    ErrorKind.SERVER_ERROR: (500, rules.error_body("RuntimeError", "mock server error")),
    ErrorKind.SERVICE_UNAVAILABLE: (503, rules.http_error(503, "Service Unavailable")),
    ErrorKind.IMAGE_FETCH_FAILED: (500, rules.http_error(500, "Invalid image url")),
    ErrorKind.MODEL_NOT_FOUND: (404, rules.http_error(404, "Model not found")),
    ErrorKind.BODY_NOT_JSON: (
        422,
        {
            "detail": [
                {"loc": ["body"], "msg": "Invalid JSON body", "type": "value_error.jsondecode"}
            ]
        },
    ),
    ErrorKind.TASK_FAILED: (500, rules.error_body("RuntimeError", "generation failed")),
    ErrorKind.TASK_NOT_FOUND: (404, {"detail": "Not Found"}),
}
"""The web UI has no rate limit, queue or credits: faults of those kinds get the bodies a proxy
in front of it or FastAPI would give, in the web UI's ``{error, detail, body, errors}`` shape."""
