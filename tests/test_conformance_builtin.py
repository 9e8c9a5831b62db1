"""The conformance suite for the three built-in providers: a few lines each."""

from __future__ import annotations

from typing import ClassVar

from inpaintkit.conformance import ProviderConformance
from inpaintkit.conformance.known import KNOWN_DISAGREEMENTS


class TestNovitaConformance(ProviderConformance):
    provider_id = "novita"
    job_defaults: ClassVar = {"model": "realisticVisionV40_v40VAE-inpainting_81543.safetensors"}


class TestStableDiffusionApiConformance(ProviderConformance):
    provider_id = "stablediffusionapi"


class TestModelsLabConformance(ProviderConformance):
    provider_id = "modelslab"
    image_size = (512, 512)  # ModelsLab's width and height start at 512 (seed 003)
    job_defaults: ClassVar = {"model": "pony_realism"}
    expected_disagreements = KNOWN_DISAGREEMENTS.get("modelslab", {})
    state_machine_examples = 4
