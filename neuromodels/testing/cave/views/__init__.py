"""The bundled CAVE's services, one module each."""
