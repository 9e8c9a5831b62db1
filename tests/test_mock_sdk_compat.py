"""The providers' official Python SDKs against the mock, as they would run against the real APIs.

Skipped unless the SDKs are installed (they are not project dependencies):
``pip install novita-client==0.7.1 'dataclass-wizard<1' modelslab-py==0.2.3``.  The mock finishes
tasks on the first poll so the SDKs' own poll loops never sleep.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator

import pytest
from imagegen import gradient_image, rect_mask
from inpaintkit.mockserver import MockConfig, MockServer
from PIL import Image
from test_mock_lifecycle import NOVITA_MODEL, plugin_manager


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    config = MockConfig(seed=4, finish_after_polls=1, sdapi_duplicate_window=None)
    with MockServer(config, plugin_manager=plugin_manager()) as mock:
        yield mock


def test_novita_client_inpainting(server: MockServer) -> None:
    novita_client = pytest.importorskip("novita_client")
    client = novita_client.NovitaClient("sdk-key", server.url)
    image = gradient_image(64, 48)
    result = client.inpainting(
        model_name=NOVITA_MODEL,
        image=image,
        mask=rect_mask(64, 48, (8, 8, 32, 32)),
        prompt="a cat",
        image_num=2,
        sampler_name="Euler a",
        steps=20,
        guidance_scale=7.5,
        seed=-1,
        loras=[{"model_name": "x", "strength": 0.5}],
    )
    assert len(result.images_encoded) == 2
    decoded = Image.open(io.BytesIO(base64.b64decode(result.images_encoded[0])))
    assert decoded.size == (64, 48)
    assert decoded.format == "JPEG"  # the SDK's CommonV3Extra default
    (submit,) = server.journal("request", path="/v3/async/inpainting")
    assert submit["status"] == 200
    assert submit["body"]["extra"]["custom_storage"] == {}  # what the SDK sends was accepted


def test_novita_client_model_query(server: MockServer) -> None:
    novita_client = pytest.importorskip("novita_client")
    client = novita_client.NovitaClient("sdk-key", server.url)
    models = client.query_model_v3(visibility="public", limit=5, is_inpainting=True)
    assert NOVITA_MODEL in [m.sd_name for m in models.models]


def test_modelslab_py_inpainting_and_fetch(server: MockServer) -> None:
    pytest.importorskip("modelslab_py")
    from modelslab_py.core.apis.community import Community
    from modelslab_py.core.client import Client
    from modelslab_py.schemas.community import Inpainting

    client = Client(api_key="sdk-key", fetch_retry=2, fetch_timeout=1)
    client.base_url = server.url + "/api/"
    api = Community(client)
    schema = Inpainting(
        prompt="a cat",
        model_id="lazymixv4-inpaint",
        init_image="https://x/i.png",
        mask_image="https://x/m.png",
        width=512,
        height=512,
        samples=1,
        num_inference_steps=21,
        seed=1,
        guidance_scale=7.5,
        scheduler="UniPCMultistepScheduler",
        strength=0.7,
        base64="no",
    )
    result = api.inpainting(schema)
    assert result["status"] == "success"
    server.ctx.apply_config(MockConfig.from_dict({"sync_mode": "processing"}, base=server.config))
    try:
        queued = api.inpainting(schema.model_copy(update={"seed": 2}))
        assert queued["status"] == "processing"
        fetched = api.fetch(str(queued["id"]))
        assert fetched["status"] == "success"
        assert fetched["output"] == queued["future_links"]
    finally:
        server.ctx.apply_config(MockConfig.from_dict({"sync_mode": "instant"}, base=server.config))
