# The compiled counter (_bin_counts.c); the buffers are numpy arrays in practice.
import numpy as np
import numpy.typing as npt

def count_bins(
    values: npt.NDArray[np.floating],
    type_code: str,
    edges: npt.NDArray[np.float64],
    cumulative: npt.NDArray[np.int64],
    /,
) -> int: ...
