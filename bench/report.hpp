#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace corral::bench {

/// Which way a figure improves.
enum class better { lower, higher };

/// How a row's target is judged against its figures.
enum class target_kind {
  none,
  /// corral / CAF at most `target_value`.
  ratio_to_caf_at_most,
  /// corral / CAF at least `target_value`.
  ratio_to_caf_at_least,
  /// corral - CAF at most `target_value`.
  excess_over_caf_at_most,
  /// corral at most `target_value`.
  at_most,
  /// corral at least `target_value`.
  at_least,
};

/// One line of the results: corral's figure and its baselines, each kept
/// per run and shown as the median of the runs.
struct result_row {
  /// Machine-readable name, e.g. "spawn.outside".
  std::string id;
  /// What is measured, for people.
  std::string label;
  std::string unit;
  better direction = better::lower;
  std::vector<double> corral_runs;
  std::vector<double> caf_runs;
  std::vector<double> erlang_runs;
  /// Shown in place of the CAF figure when there is none.
  std::string caf_note = "n/a";
  /// What `caf_runs` measured when it is not raw CAF, e.g. "native": the
  /// WASM rows compare with corral's native backend.
  std::string baseline_name;
  /// Shown in place of the Erlang figure when there is none.
  std::string erlang_note = "n/a";
  target_kind target = target_kind::none;
  double target_value = 0;

  double corral() const;
  std::optional<double> caf() const;
  std::optional<double> erlang() const;

  /// The target in words, e.g. "<= 1.5x CAF", or "" for none.
  std::string target_text() const;

  /// Whether the medians meet the target; nothing without a target or
  /// without the figures it needs.
  std::optional<bool> target_met() const;
};

/// Returns a row without figures yet.
result_row make_row(std::string id, std::string label, std::string unit,
                    better direction, target_kind target = target_kind::none,
                    double target_value = 0);

/// Returns the row of `rows` with `id`, or null.
result_row* find_row(std::vector<result_row>& rows, const std::string& id);

/// What the header of a report names besides the rows.
struct report_context {
  std::string settings;
  std::string erlang_release;
  int runs = 0;
  bool quick = false;
};

/// Writes an aligned text table.
void write_table(std::ostream& out, const report_context& context,
                 const std::vector<result_row>& rows);

/// Writes one CSV line per row, with a header line.
void write_csv(std::ostream& out, const std::vector<result_row>& rows);

/// Writes one JSON document with the context, the medians and every run.
void write_json(std::ostream& out, const report_context& context,
                const std::vector<result_row>& rows);

} // namespace corral::bench
