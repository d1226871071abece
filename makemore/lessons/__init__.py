"""Helpers each lecture's page needs beyond the library, one module per lecture (like makemore/charts).

data (the word list's shape), bigram (part 1), mlp (part 2), backprop, backprop_graph and backprop_twins
(part 4), wavenet (part 5), neurons (what a hidden unit answers to, parts 2-5), models (makemore.py's
sequence models), sampling (the Generate page).
"""
