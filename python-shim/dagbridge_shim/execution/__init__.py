"""How each kind of operator runs: the stand-in operators' ``execute`` methods delegate here (bash, python,
branch, sensor, trigger), and ``dagbridge_shim.run`` drives one task instance through them."""
