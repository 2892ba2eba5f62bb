"""Pedestrians in SI units (m, s): scenes, JuPedSim as the peer simulator, PedPy analysis."""
