"""Physical constants (CODATA 2018, SI) and the thermal voltage used across voltlens."""

from __future__ import annotations

FARADAY = 96485.33212  # C/mol
GAS_CONSTANT = 8.314462618  # J/(mol K)
STANDARD_TEMPERATURE = 298.15  # K


def thermal_voltage(temperature_K: float = STANDARD_TEMPERATURE) -> float:
    """RT/F in volts."""
    return GAS_CONSTANT * temperature_K / FARADAY


def f_inverse_volts(temperature_K: float = STANDARD_TEMPERATURE) -> float:
    """f = F/RT in 1/V."""
    return FARADAY / (GAS_CONSTANT * temperature_K)
