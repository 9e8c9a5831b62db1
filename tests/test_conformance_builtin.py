"""The conformance suite for the three built-in providers: a few lines each."""

from __future__ import annotations

from typing import ClassVar

from inpaintkit.conformance import ProviderConformance

_DPMSOLVER = "the plugin sends algorithm_type 'dpmsolver++'; the mock's enum lacks it"


class TestNovitaConformance(ProviderConformance):
    provider_id = "novita"
    job_defaults: ClassVar = {"model": "realisticVisionV40_v40VAE-inpainting_81543.safetensors"}


class TestStableDiffusionApiConformance(ProviderConformance):
    provider_id = "stablediffusionapi"


class TestModelsLabConformance(ProviderConformance):
    provider_id = "modelslab"
    image_size = (512, 512)  # ModelsLab's width and height start at 512 (seed 003)
    job_defaults: ClassVar = {"model": "pony_realism"}
    expected_disagreements: ClassVar = {
        # The plugin sends algorithm_type "dpmsolver++" (the diffusers name of the plain
        # multistep DPM++ solver, providers/modelslab/samplers.py); the mock's contract enum is
        # ("sde-dpmsolver++", "none", "dpmsolver+++") from seed 003's example and the OpenAPI
        # (mockserver/contracts/_modelslab.py).  Neither source documents "dpmsolver++".
        "sampler='DPM++ 2M'": _DPMSOLVER,
        "sampler='DPM++ 2M Karras'": _DPMSOLVER,
    }
    state_machine_examples = 4
