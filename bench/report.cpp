#include "bench/report.hpp"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <sstream>

#include <nlohmann/json.hpp>

#include "bench/statistics.hpp"

namespace corral::bench {

namespace {

std::optional<double> median_of(const std::vector<double>& runs) {
  if (runs.empty())
    return std::nullopt;
  return median(runs);
}

// Three significant digits or more, with thousands separated by commas.
std::string format_figure(double value) {
  std::ostringstream out;
  auto magnitude = std::fabs(value);
  if (magnitude >= 1000) {
    auto digits = std::to_string(static_cast<long long>(std::llround(value)));
    std::string grouped;
    int count = 0;
    for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
      if (count > 0 && count % 3 == 0 && *it != '-')
        grouped.insert(grouped.begin(), ',');
      grouped.insert(grouped.begin(), *it);
      ++count;
    }
    return grouped;
  }
  out << std::fixed << std::setprecision(magnitude >= 100 ? 0
                                         : magnitude >= 10 ? 1
                                                           : 2)
      << value;
  return out.str();
}

std::string format_ratio(std::optional<double> corral,
                         std::optional<double> baseline) {
  if (!corral || !baseline || *baseline == 0)
    return "";
  std::ostringstream out;
  out << std::fixed << std::setprecision(2) << *corral / *baseline << 'x';
  return out.str();
}

std::string verdict(std::optional<bool> met) {
  if (!met)
    return "";
  return *met ? "met" : "MISSED";
}

} // namespace

result_row make_row(std::string id, std::string label, std::string unit,
                    better direction, target_kind target,
                    double target_value) {
  result_row row;
  row.id = std::move(id);
  row.label = std::move(label);
  row.unit = std::move(unit);
  row.direction = direction;
  row.target = target;
  row.target_value = target_value;
  return row;
}

result_row* find_row(std::vector<result_row>& rows, const std::string& id) {
  auto found = std::find_if(rows.begin(), rows.end(),
                            [&](const result_row& x) { return x.id == id; });
  return found == rows.end() ? nullptr : &*found;
}

double result_row::corral() const {
  return median(corral_runs);
}

std::optional<double> result_row::caf() const {
  return median_of(caf_runs);
}

std::optional<double> result_row::erlang() const {
  return median_of(erlang_runs);
}

std::string result_row::target_text() const {
  std::ostringstream out;
  out << std::defaultfloat << target_value;
  auto baseline = baseline_name.empty() ? std::string{"CAF"} : baseline_name;
  switch (target) {
    case target_kind::ratio_to_caf_at_most:
      return "<= " + out.str() + "x " + baseline;
    case target_kind::ratio_to_caf_at_least:
      return ">= " + out.str() + "x " + baseline;
    case target_kind::excess_over_caf_at_most:
      return "<= CAF + " + out.str() + " " + unit;
    case target_kind::at_most:
      return "<= " + out.str() + " " + unit;
    case target_kind::at_least:
      return ">= " + out.str() + " " + unit;
    default:
      return "";
  }
}

std::optional<bool> result_row::target_met() const {
  if (target == target_kind::none || corral_runs.empty())
    return std::nullopt;
  if (target == target_kind::at_most)
    return corral() <= target_value;
  if (target == target_kind::at_least)
    return corral() >= target_value;
  auto baseline = caf();
  if (!baseline || *baseline == 0)
    return std::nullopt;
  switch (target) {
    case target_kind::ratio_to_caf_at_most:
      return corral() / *baseline <= target_value;
    case target_kind::ratio_to_caf_at_least:
      return corral() / *baseline >= target_value;
    case target_kind::excess_over_caf_at_most:
      return corral() - *baseline <= target_value;
    default:
      return std::nullopt;
  }
}

namespace {

// Writes the rows whose baseline is `baseline` ("" for raw CAF) as one
// aligned table.
void write_group(std::ostream& out, const std::vector<result_row>& rows,
                 const std::string& baseline) {
  auto base = baseline.empty() ? std::string{"raw CAF"} : baseline;
  auto ratio = baseline.empty() ? std::string{"corral/CAF"}
                                : std::string{"corral/"} + baseline;
  std::vector<std::vector<std::string>> cells;
  cells.push_back({"measurement", "unit", "corral", base, ratio, "Erlang",
                   "corral/Erl", "target", ""});
  for (const auto& row : rows) {
    if (row.baseline_name != baseline)
      continue;
    auto caf = row.caf();
    auto erlang = row.erlang();
    std::optional<double> corral;
    if (!row.corral_runs.empty())
      corral = row.corral();
    cells.push_back({row.label, row.unit,
                     corral ? format_figure(*corral) : "-",
                     caf ? format_figure(*caf) : row.caf_note,
                     format_ratio(corral, caf),
                     erlang ? format_figure(*erlang) : row.erlang_note,
                     format_ratio(corral, erlang), row.target_text(),
                     verdict(row.target_met())});
  }
  std::vector<std::size_t> widths(cells.front().size(), 0);
  for (const auto& line : cells)
    for (std::size_t i = 0; i < line.size(); ++i)
      widths[i] = std::max(widths[i], line[i].size());
  for (const auto& line : cells) {
    for (std::size_t i = 0; i < line.size(); ++i) {
      // Text columns align left, figures right.
      bool left = i < 2 || i >= 7;
      out << (left ? std::left : std::right) << std::setw(widths[i])
          << line[i] << (i + 1 < line.size() ? "  " : "");
    }
    out << "\n";
  }
}

} // namespace

void write_table(std::ostream& out, const report_context& context,
                 const std::vector<result_row>& rows) {
  out << "corral-bench: medians of " << context.runs << " runs"
      << (context.quick ? " (quick mode: small sizes, noisy figures)" : "")
      << "\n  scheduler (corral and raw CAF): " << context.settings << "\n";
  if (!context.erlang_release.empty())
    out << "  Erlang/OTP " << context.erlang_release << "\n";
  out << "\n";

  // Rows compared with another baseline (the WASM rows against native
  // agents) get their own table, so that every column header is true.
  std::vector<std::string> baselines;
  for (const auto& row : rows)
    if (std::find(baselines.begin(), baselines.end(), row.baseline_name)
        == baselines.end())
      baselines.push_back(row.baseline_name);
  for (std::size_t group = 0; group < baselines.size(); ++group) {
    if (group > 0)
      out << "\n";
    write_group(out, rows, baselines[group]);
  }
}

void write_csv(std::ostream& out, const std::vector<result_row>& rows) {
  auto field = [](std::optional<double> x) {
    if (!x)
      return std::string{};
    std::ostringstream text;
    text << std::setprecision(6) << *x;
    return text.str();
  };
  out << "id,unit,corral,caf,corral_over_caf,erlang,corral_over_erlang,"
         "target,target_met\n";
  for (const auto& row : rows) {
    auto caf = row.caf();
    auto erlang = row.erlang();
    std::optional<double> corral;
    if (!row.corral_runs.empty())
      corral = row.corral();
    auto ratio = [&](std::optional<double> base) -> std::optional<double> {
      if (!corral || !base || *base == 0)
        return std::nullopt;
      return *corral / *base;
    };
    auto met = row.target_met();
    out << row.id << ',' << row.unit << ',' << field(corral) << ','
        << field(caf) << ',' << field(ratio(caf)) << ',' << field(erlang)
        << ',' << field(ratio(erlang)) << ",\"" << row.target_text()
        << "\"," << (met ? (*met ? "true" : "false") : "") << "\n";
  }
}

void write_json(std::ostream& out, const report_context& context,
                const std::vector<result_row>& rows) {
  using nlohmann::json;
  auto figure = [](const std::vector<double>& runs, const std::string& note) {
    if (runs.empty())
      return json{{"note", note}};
    return json{{"median", median(runs)}, {"runs", runs}};
  };
  json document;
  document["runs"] = context.runs;
  document["quick"] = context.quick;
  document["scheduler"] = context.settings;
  document["erlang_release"] = context.erlang_release;
  document["rows"] = json::array();
  for (const auto& row : rows) {
    json item{{"id", row.id},
              {"label", row.label},
              {"unit", row.unit},
              {"higher_is_better", row.direction == better::higher},
              {"corral", figure(row.corral_runs, "not measured")},
              {"caf", figure(row.caf_runs, row.caf_note)},
              {"baseline",
               row.baseline_name.empty() ? "raw CAF" : row.baseline_name},
              {"erlang", figure(row.erlang_runs, row.erlang_note)}};
    if (row.target != target_kind::none) {
      item["target"] = row.target_text();
      auto met = row.target_met();
      item["target_met"] = met ? json(*met) : json(nullptr);
    }
    document["rows"].push_back(std::move(item));
  }
  out << document.dump(2) << "\n";
}

} // namespace corral::bench
