"""The shop simulation: the three promising policies side by side on the real engine (issue 18)."""
