//! Conditional sampling (`scorediff_process::condition`) driven by exact denoisers of
//! Gaussian laws, against closed forms: known values and category sets hold exactly, an
//! interval on an independent Gaussian coordinate gives its truncated law, a condition that
//! requires nothing gives the unconditional draw bit for bit, and the other coordinates follow
//! the condition (a correlated Gaussian's conditional mean and spread, a mixture's component).

mod common;

use scorediff_faer::FaerBackend;

use common::condition;

#[test]
fn a_condition_that_requires_nothing_is_the_unconditional_draw() {
    condition::a_condition_that_requires_nothing_is_the_unconditional_draw(&FaerBackend::default());
}

#[test]
fn a_known_value_holds_exactly_and_steers_a_correlated_coordinate() {
    condition::a_known_value_holds_exactly_and_steers_a_correlated_coordinate(
        &FaerBackend::default(),
    );
}

#[test]
fn an_interval_on_an_independent_coordinate_gives_its_truncated_law() {
    condition::an_interval_on_an_independent_coordinate_gives_its_truncated_law(
        &FaerBackend::default(),
    );
}

#[test]
fn a_category_set_holds_exactly_and_picks_its_component() {
    condition::a_category_set_holds_exactly_and_picks_its_component(&FaerBackend::default());
}

#[test]
fn rows_may_each_have_their_own_requirement() {
    condition::rows_may_each_have_their_own_requirement(&FaerBackend::default());
}

#[test]
fn a_condition_of_another_width_is_refused() {
    condition::a_condition_of_another_width_is_refused(&FaerBackend::default());
}

#[test]
fn replacement_alone_decides_the_other_coordinates_too_early() {
    condition::replacement_alone_decides_the_other_coordinates_too_early(&FaerBackend::default());
}

#[test]
fn an_interval_and_a_known_value_hold_together() {
    condition::an_interval_and_a_known_value_hold_together(&FaerBackend::default());
}
