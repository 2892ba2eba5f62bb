"""Driving: autonomous particles that learn to drive without colliding."""
