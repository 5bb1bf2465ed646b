"""``family_params`` of an accelerator spec, validated by :class:`AccelParams`.

Every numeric field is a sourced quantity (``{value, unit, source}``) like the rest of a spec;
a field a vendor does not publish is left out and the engine says what it does without it.

* ``matrix_unit`` / ``vector_unit`` — names of the ``compute`` units holding the matrix-array
  and vector peaks (default ``matrix`` and ``vector``);
* ``matrix_units`` — systolic arrays on the chip (MXUs x TensorCores, Tensor Engines x
  NeuronCores, MMEs ...); with ``array_rows`` (contraction depth K a pass holds) and
  ``array_cols`` (output columns N a pass holds) this is the tiling geometry. Without the
  geometry the matrix unit is modelled at its published peak without tiling, and the
  estimate's notes say so;
* ``clock`` — matrix-array clock. Absent: derived from the dense peak as
  ``peak / (2 · units · rows · cols)`` (noted);
* ``stream_granularity`` — rows of the streamed operand processed together (TPU: 8
  sublanes); M is padded up to a multiple of it;
* ``weight_load_cycles`` — cycles to load one stationary tile into the array. Absent: one row
  per cycle (``array_rows``), the TPU's shift-in;
* ``min_pass_cycles`` — the shortest a pass can be (Trainium: ``MM_INIT_LATENCY``);
* ``max_stream_rows`` — rows one pass instruction can stream (Trainium: 512); longer M is split;
* ``vector_lanes`` × ``vector_ops_per_lane`` × ``vector_clock`` — the vector unit when the spec
  has no published vector peak;
* ``cores`` — TensorCores / NeuronCores / DCOREs (descriptive, reported in ``summary``).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, field_validator

from graphs.hardware.units import Count, Frequency


class AccelParams(BaseModel):
    """What the accelerator engine needs beyond the generic spec fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    matrix_unit: str = "matrix"
    vector_unit: str = "vector"
    matrix_units: Count
    cores: Count | None = None
    array_rows: Count | None = None
    array_cols: Count | None = None
    clock: Frequency | None = None
    stream_granularity: Count | None = None
    weight_load_cycles: Count | None = None
    min_pass_cycles: Count | None = None
    max_stream_rows: Count | None = None
    vector_lanes: Count | None = None
    vector_ops_per_lane: Count | None = None
    vector_clock: Frequency | None = None

    @field_validator("matrix_units", "cores", "array_rows", "array_cols", "stream_granularity",
                     "max_stream_rows", "vector_lanes")
    @classmethod
    def _positive_int(cls, q: Count | None) -> Count | None:
        if q is not None and (q.value < 1 or q.value != int(q.value)):
            raise ValueError(f"must be a positive whole number, got {q.value:g}")
        return q

    @property
    def has_geometry(self) -> bool:
        return self.array_rows is not None and self.array_cols is not None
