"""Statistics of a network while it trains: part 3's diagnostics, the weight matrices as pictures
(weights), grouped reductions, bounded histories."""
