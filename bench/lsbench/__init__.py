"""LightShuttle vs docker-compose benchmark harness (python3 stdlib only). Entry point: bench/run.py."""
