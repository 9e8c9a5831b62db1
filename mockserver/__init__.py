"""An aiohttp server that emulates the providers offline."""
