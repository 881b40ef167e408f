"""The investment wing: what a budget buys, evaluated by simulation with common random numbers."""
