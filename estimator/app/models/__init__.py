"""Qt item models: adapters that translate core results for views; they never compute."""
