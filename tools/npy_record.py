# Writes the recorded .npy files under spec/data/npy/ with NumPy, so the
# specs check lgrad's reader against NumPy's writer even where NumPy is not
# installed. Run: /usr/bin/python3 tools/npy_record.py (NumPy 1.24 made them).
import numpy as np

d = "spec/data/npy/"
np.save(d + "f4_c_2x3.npy", np.arange(6, dtype="<f4").reshape(2, 3) / 4)
np.save(d + "f8_big_fortran_2x3x4.npy",
        np.asfortranarray(np.arange(24, dtype=">f8").reshape(2, 3, 4) - 11.5))
np.save(d + "f4_big_specials.npy",
        np.array([np.nan, np.inf, -np.inf, -0.0, 2.0**-149, 3.4028234663852886e38], dtype=">f4"))
np.save(d + "f8_scalar.npy", np.array(-2.25, dtype="<f8"))
np.save(d + "f4_empty_0x3.npy", np.zeros((0, 3), dtype="<f4"))
np.save(d + "f4_8d.npy", np.arange(16, dtype="<f4").reshape(1, 2, 1, 2, 1, 2, 1, 2))
with open(d + "f8_v2_fortran_3x2.npy", "wb") as f:
    np.lib.format.write_array(f, np.asfortranarray(np.array([[1, 2], [3, 4], [5, 6]], dtype="<f8")),
                              version=(2, 0))
np.save(d + "i8_refused.npy", np.arange(3, dtype="<i8"))
