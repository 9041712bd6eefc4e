from facecli.seeding import rng_for


def test_streams_are_stable_and_distinct():
    assert rng_for(3, "x", 1).random() == rng_for(3, "x", 1).random()
    assert rng_for(3, "x", 1).random() != rng_for(3, "x", 2).random()
    assert rng_for(3, "x", 1).random() != rng_for(4, "x", 1).random()
