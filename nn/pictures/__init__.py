"""The training pictures: the replay page of a recorded run and the optimizer race."""
