"""The pictures: the drawing model, the Graphviz renderer, the layout engines, the player."""
