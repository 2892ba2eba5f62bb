"""`autoparticles water describe`: a short summary of a reference dataset."""

from autoparticles.molecular.observables import bond_lengths_and_angles, rdf, temperature
from autoparticles.molecular.reference import ReferenceData

OO_PEAK_WINDOW = (2.3, 3.3)
"""Where the first g_OO maximum is looked for [Å]."""


def summary(data: ReferenceData) -> dict:
    """Numbers of the summary (frames, time span, temperature, geometry, g_OO per half)."""
    every = max(1, data.n_frames // 500)
    sample = data.positions[::every]
    lengths, angles = bond_lengths_and_angles(sample, data.numbers, data.box)
    out = {
        "frames": data.n_frames,
        "atoms": len(data.numbers),
        "time_span_ps": float(data.times[-1] - data.times[0]) / 1000.0,
        "mean_oh_angstrom": float(lengths.mean()),
        "mean_hoh_degrees": float(angles.mean()),
        "box_angstrom": data.box.tolist(),
    }
    if data.velocities is not None:
        temps = temperature(data.velocities, data.masses)
        out["temperature_mean_k"] = float(temps.mean())
        out["temperature_std_k"] = float(temps.std())
    half = data.n_frames // 2
    for label, part in (("all", data.positions), ("first_half", data.positions[:half]),
                        ("second_half", data.positions[half:])):
        peak = rdf(part[::every], data.numbers, data.box, 8, 8).first_maximum(*OO_PEAK_WINDOW)
        out[f"goo_peak_{label}"] = {"position_angstrom": peak[0], "height": peak[1]}
    return out


def describe_text(data: ReferenceData) -> str:
    s = summary(data)
    meta = data.metadata
    lines = [
        f"frames          {s['frames']} ({s['atoms']} atoms), {s['time_span_ps']:.3f} ps"
        f" every {meta.get('stride', '?')} steps of {meta.get('timestep_fs', '?')} fs",
        f"box             {' x '.join(f'{x:.3f}' for x in s['box_angstrom'])} Å",
        f"model           {meta.get('model', '?')} ({meta.get('cp2k_version', '?')})",
    ]
    if "temperature_mean_k" in s:
        lines.append(f"temperature     {s['temperature_mean_k']:.1f} ± {s['temperature_std_k']:.1f} K"
                     f" (target {meta.get('temperature_k', '?')} K)")
    lines += [
        f"mean O–H        {s['mean_oh_angstrom']:.4f} Å",
        f"mean H–O–H      {s['mean_hoh_degrees']:.2f}°",
    ]
    for label in ("all", "first_half", "second_half"):
        peak = s[f"goo_peak_{label}"]
        lines.append(f"g_OO 1st max    {peak['position_angstrom']:.3f} Å, height "
                     f"{peak['height']:.2f}  ({label.replace('_', ' ')})")
    return "\n".join(lines)
