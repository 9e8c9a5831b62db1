"""The seed documents' request examples and the official SDKs' captured bodies, as test data.

Each is copied as written from its source (seed file or reference section), with only the image
placeholders and the key filled in, so the tests send exactly what the documents and SDKs send.
"""

from __future__ import annotations

import base64
import io
import json
from typing import Any

from PIL import Image

NOVITA_KEY = "sk-test-SECRET-0123456789"
SDAPI_KEY = "SECRET-sdapi-key-42"
MODELSLAB_KEY = "SECRET-modelslab-key-7"


def _png_b64(size: tuple[int, int], colour: int = 128) -> str:
    buffer = io.BytesIO()
    Image.new("L", size, colour).save(buffer, "PNG")
    return base64.b64encode(buffer.getvalue()).decode()


IMAGE_B64 = _png_b64((64, 48))
MASK_B64 = _png_b64((64, 48), 255)

SEED_001_NEGATIVE_PROMPT = (
    "(deformed iris, deformed pupils, semi-realistic, cgi, 3d, render, sketch, cartoon, drawing, "
    "anime), text, cropped, out of frame, worst quality, low quality, jpeg artifacts, ugly, "
    "duplicate, morbid, mutilated, extra fingers, mutated hands, poorly drawn hands, poorly drawn "
    "face, mutation, deformed, blurry, dehydrated, bad anatomy, bad proportions, extra limbs, "
    "cloned face, disfigured, gross proportions, malformed limbs, missing arms, missing legs, "
    "extra arms, extra legs, fused fingers, too many fingers, long neck, BadDream, "
    "UnrealisticDream"
)

# Seed 001, "Start requesting inpainting", request body as written.
SEED_001 = """{
    "extra": {
        "response_image_type": "jpeg"
    },
    "request": {
        "model_name": "realisticVisionV40_v40VAE-inpainting_81543.safetensors",
        "prompt": "Leonardo DiCaprio",
        "negative_prompt": "NEGATIVE_PROMPT",
        "image_num": 1,
        "steps": 25,
        "seed": -1,
        "clip_skip": 1,
        "guidance_scale": 7.5,
        "sampler_name": "Euler a",
        "mask_blur": 1,
        "inpainting_full_res": 1,
        "inpainting_full_res_padding": 32,
        "inpainting_mask_invert": 0,
        "initial_noise_multiplier": 1,
        "strength": 0.85,
        "image_base64": "{{base64 encoded image}}",
        "mask_image_base64": "{{base64 encoded mask image}}"
    }
}""".replace('"NEGATIVE_PROMPT"', json.dumps(SEED_001_NEGATIVE_PROMPT))

# Reference 1.9, CAP novita_inpainting_capture.txt: what NovitaClient.inpainting() sends.
SDK_CAPTURE = {
    "extra": {
        "response_image_type": "jpeg",
        "enable_nsfw_detection": False,
        "nsfw_detection_level": 0,
        "custom_storage": {},
        "enterprise_plan": {},
    },
    "request": {
        "model_name": "realisticVisionV40_v40VAE-inpainting_81543.safetensors",
        "image_base64": IMAGE_B64,
        "mask_image_base64": MASK_B64,
        "prompt": "a cat",
        "image_num": 1,
        "steps": 20,
        "guidance_scale": 7.5,
        "seed": -1,
        "sampler_name": "Euler a",
        "negative_prompt": None,
        "mask_blur": None,
        "sd_vae": "",
        "loras": [{"model_name": "x", "strength": 0.5}],
        "embeddings": None,
        "clip_skip": None,
        "strength": None,
        "inpainting_full_res": 0,
        "inpainting_full_res_padding": 8,
        "inpainting_mask_invert": 0,
        "initial_noise_multiplier": 0.5,
    },
}


def novita_seed_body(text: str = SEED_001) -> dict[str, Any]:
    text = text.replace("{{base64 encoded image}}", IMAGE_B64)
    text = text.replace("{{base64 encoded mask image}}", MASK_B64)
    body: dict[str, Any] = json.loads(text)
    return body


# Seed 002 "Body", as written (note the trailing comma).
SEED_002 = """{
  "key": "",
  "prompt": "a cat sitting on a bench",
  "negative_prompt": null,
  "init_image": "https://raw.githubusercontent.com/CompVis/stable-diffusion/main/data/inpainting_examples/overture-creations-5sI6fQgYIuo.png",
  "mask_image": "https://raw.githubusercontent.com/CompVis/stable-diffusion/main/data/inpainting_examples/overture-creations-5sI6fQgYIuo_mask.png",
  "width": "512",
  "height": "512",
  "samples": "1",
  "num_inference_steps": "30",
  "safety_checker": "no",
  "enhance_prompt": "yes",
  "guidance_scale": 7.5,
  "strength": 0.7,
  "base64": "no",
  "seed": null,
  "webhook": null,
  "track_id": null,

}"""


def sdapi_seed_body() -> dict[str, Any]:
    """The seed body with its trailing comma removed and a key filled in."""
    text = SEED_002.replace('"track_id": null,\n', '"track_id": null\n')
    body: dict[str, Any] = json.loads(text.replace('"key": ""', f'"key": "{SDAPI_KEY}"'))
    return body


INIT = "https://raw.githubusercontent.com/CompVis/stable-diffusion/main/data/inpainting_examples/overture-creations-5sI6fQgYIuo.png"
MASK = "https://raw.githubusercontent.com/CompVis/stable-diffusion/main/data/inpainting_examples/overture-creations-5sI6fQgYIuo_mask.png"

# Seed 003 "Body", as written.
SEED_003 = f"""{{
    "key": "your_api_key",
    "model_id": "pony_realism",
    "prompt": "a cat sitting on a bench",
    "negative_prompt": null,
    "init_image": "{INIT}",
    "mask_image": "{MASK}",
    "width": "512",
    "height": "512",
    "samples": "1",
    "steps": "21",
    "safety_checker": "no",
    "guidance_scale": 7.5,
    "strength": 0.7,
    "scheduler": "DPMSolverMultistepScheduler",
    "use_karras_sigmas": "yes",
    "algorithm_type": "sde-dpmsolver++",
    "clip_skip": "2",
    "seed": null,
    "webhook": null,
    "track_id": null
}}"""

# Reference 3.2, the current docs' example (ML-DOCS HEAD).
HEAD_EXAMPLE = {
    "key": "your_api_key",
    "model_id": "lazymixv4-inpaint",
    "prompt": "a cat sitting on a bench",
    "negative_prompt": None,
    "init_image": INIT,
    "mask_image": MASK,
    "width": "512",
    "height": "512",
    "samples": "1",
    "steps": "21",
    "safety_checker": "no",
    "guidance_scale": 7.5,
    "strength": 0.7,
    "scheduler": "UniPCMultistepScheduler",
    "lora_model": None,
    "use_karras_sigmas": "yes",
    "vae": None,
    "lora_strength": None,
    "seed": None,
    "webhook": None,
    "track_id": None,
}

# Reference 3.6, CAP modelslab_py_capture.txt.
MODELSLAB_PY = {
    "key": "KEY",
    "prompt": "a cat",
    "model_id": "lazymixv4-inpaint",
    "init_image": "https://x/i.png",
    "mask_image": "https://x/m.png",
    "width": 512,
    "height": 512,
    "samples": 1,
    "num_inference_steps": 21,
    "seed": 1,
    "guidance_scale": 7.5,
    "scheduler": "UniPCMultistepScheduler",
    "strength": 0.7,
    "base64": "no",
}


def modelslab_seed_body() -> dict[str, Any]:
    body: dict[str, Any] = json.loads(SEED_003)
    body["key"] = MODELSLAB_KEY
    return body
