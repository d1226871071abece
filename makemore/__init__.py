"""makemore: Karpathy's character-level language models, lecture by lecture, as a small package."""
