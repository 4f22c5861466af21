// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
//
// Reading the parts of the OpenAPI contract the client depends on. Every function fails loudly
// (std::runtime_error naming what it looked for) rather than returning nothing, so that a moved
// or renamed piece of the spec fails the contract test instead of emptying it.
#ifndef BEEOS_TEST_CONTRACT_SPEC_HPP
#define BEEOS_TEST_CONTRACT_SPEC_HPP

#include <yaml-cpp/yaml.h>

#include <optional>
#include <set>
#include <string>
#include <vector>

namespace contract
{

// A note on yaml-cpp: assigning one YAML::Node to another writes into the tree, and the
// non-const operator[] inserts missing keys. So nodes here are only copy-constructed from
// lookups on const nodes, never reassigned.

/// The spec file the test reads: the first argument after `--`, else the copy in this folder.
std::string spec_path();

/// The parsed spec, loaded once.
const YAML::Node& spec();

/// `node[key]` without inserting; an undefined node (safe to query) when `node` is not a map or lacks `key`.
YAML::Node child(const YAML::Node& node, const std::string& key);

/// Follows `$ref: '#/...'` (repeatedly) to the node it points at.
YAML::Node resolve(const YAML::Node& node);

/// A string scalar, or "" when the node is absent or not a scalar.
std::string text(const YAML::Node& node);

struct operation
{
    std::string path;  ///< e.g. `/api/v1/instances/{id}`
    YAML::Node item;   ///< the path item (its `parameters` apply to every method)
    YAML::Node node;   ///< the operation object
};

/// The operation with this `operationId`. \throws std::runtime_error when there is none.
operation find_operation(const std::string& operation_id);

/// Path-level and operation-level parameters, `$ref`s resolved.
std::vector<YAML::Node> parameters(const operation& op);

/// The schema of `data` in the operation's 200 `application/json` response (following `$ref`
/// and `allOf`), resolved.
YAML::Node response_data_schema(const operation& op);

/// Every property of an object schema (its own and those of its `allOf` parts): name -> schema.
std::vector<std::pair<std::string, YAML::Node>> properties(const YAML::Node& schema);

/// The non-null `type` of a schema ("" when it has none); `type` may be a list in OpenAPI 3.1.
std::string type_of(const YAML::Node& schema);

/// The values a string property documents: its `enum`, plus the list of a description that
/// reads "One of `a` | `b` | ..." (how this spec documents most of its enums).
std::set<std::string> documented_values(const YAML::Node& schema);

/// An `error.code` a response documents, and the HTTP status it comes with (0 when the
/// response is a range like `5XX` and the description does not say which status).
struct documented_code
{
    std::string code;
    int status = 0;
    std::string status_key;  ///< the response's key: `401`, `5XX`
    std::string response;    ///< the response key and component, for messages: `401 (Unauthorized)`
};

/// The codes of one response, read from its description: the backquoted snake_case words after
/// "`code` is" (up to the paragraph's end), and every "`code = x`". A range response (`5XX`)
/// takes each code's status from a "(503)" on the code's line.
std::vector<documented_code> codes_of_response(const std::string& status_key, const YAML::Node& response);

}  // namespace contract

#endif
