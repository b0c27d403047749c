"""What a committee reads: the review document of a pack and the difference between two packs."""
