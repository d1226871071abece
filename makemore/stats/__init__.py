"""Statistics of a network while it trains: part 3's diagnostics, grouped reductions, bounded histories."""
