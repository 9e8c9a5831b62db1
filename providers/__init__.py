"""Built-in provider plugins: Novita, StableDiffusionAPI and ModelsLab."""
