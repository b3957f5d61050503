"""The paper's experiments as tasks: synthetic O(5) regression, moments of inertia, particle
scattering and the double spring pendulum."""
