// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#include "spec.hpp"

#include <boost/test/unit_test.hpp>

#include <regex>
#include <stdexcept>

namespace contract
{

std::string spec_path()
{
    const auto& master = boost::unit_test::framework::master_test_suite();
    return master.argc > 1 ? master.argv[1] : BEEOS_CONTRACT_SPEC;
}

const YAML::Node& spec()
{
    static const YAML::Node root = YAML::LoadFile(spec_path());
    return root;
}

YAML::Node child(const YAML::Node& node, const std::string& key)
{
    // A failed lookup on a const node is an "invalid" node, on which every query but
    // IsDefined() throws; a fresh undefined node answers them all with false instead.
    if (node.IsDefined() && node.IsMap())
    {
        const YAML::Node found = node[key];
        if (found.IsDefined())
            return found;
    }
    return YAML::Node(YAML::NodeType::Undefined);
}

std::string text(const YAML::Node& node)
{
    return node.IsScalar() ? node.as<std::string>() : std::string();
}

namespace
{

YAML::Node pointer_target(const std::string& ref)
{
    if (!ref.starts_with("#/"))
        throw std::runtime_error("only local $refs are supported, got " + ref);
    std::vector<std::string> segments;
    for (std::size_t pos = 2;;)
    {
        const auto slash = ref.find('/', pos);
        std::string seg = ref.substr(pos, slash == std::string::npos ? std::string::npos : slash - pos);
        // JSON Pointer escapes (RFC 6901): ~1 is '/', ~0 is '~'.
        for (std::size_t i; (i = seg.find("~1")) != std::string::npos;)
            seg.replace(i, 2, "/");
        for (std::size_t i; (i = seg.find("~0")) != std::string::npos;)
            seg.replace(i, 2, "~");
        segments.push_back(std::move(seg));
        if (slash == std::string::npos)
            break;
        pos = slash + 1;
    }
    // Recursion instead of a loop over one Node variable, which reassignment would corrupt.
    auto walk = [&](auto& self, const YAML::Node& at, std::size_t i) -> YAML::Node
    {
        if (i == segments.size())
            return at;
        const YAML::Node next = child(at, segments[i]);
        if (!next.IsDefined())
            throw std::runtime_error("$ref " + ref + " points at nothing");
        return self(self, next, i + 1);
    };
    return walk(walk, spec(), 0);
}

}  // namespace

YAML::Node resolve(const YAML::Node& node)
{
    const YAML::Node ref = child(node, "$ref");
    if (!ref.IsDefined())
        return node;
    return resolve(pointer_target(text(ref)));
}

operation find_operation(const std::string& operation_id)
{
    static const char* const methods[] = {"get", "put", "post", "delete", "patch", "head", "options", "trace"};
    const YAML::Node paths = child(spec(), "paths");
    if (!paths.IsMap())
        throw std::runtime_error(spec_path() + " has no `paths`");
    for (const auto& entry : paths)
    {
        for (const char* m : methods)
        {
            const YAML::Node op = child(entry.second, m);
            if (text(child(op, "operationId")) == operation_id)
                return {entry.first.as<std::string>(), entry.second, op};
        }
    }
    throw std::runtime_error("the spec has no operation `" + operation_id + "`");
}

std::vector<YAML::Node> parameters(const operation& op)
{
    std::vector<YAML::Node> out;
    for (const YAML::Node& holder : {op.item, op.node})
    {
        const YAML::Node list = child(holder, "parameters");
        if (list.IsSequence())
            for (const auto& p : list)
                out.push_back(resolve(p));
    }
    return out;
}

namespace
{

std::optional<YAML::Node> find_property(const YAML::Node& schema_ref, const std::string& name)
{
    const YAML::Node schema = resolve(schema_ref);
    const YAML::Node p = child(child(schema, "properties"), name);
    if (p.IsDefined())
        return resolve(p);
    const YAML::Node parts = child(schema, "allOf");
    if (parts.IsSequence())
        for (const auto& part : parts)
            if (auto found = find_property(part, name))
                return found;
    return std::nullopt;
}

void collect_properties(const YAML::Node& schema_ref, std::vector<std::pair<std::string, YAML::Node>>& out)
{
    const YAML::Node schema = resolve(schema_ref);
    const YAML::Node props = child(schema, "properties");
    if (props.IsMap())
        for (const auto& p : props)
            out.emplace_back(p.first.as<std::string>(), resolve(p.second));
    const YAML::Node parts = child(schema, "allOf");
    if (parts.IsSequence())
        for (const auto& part : parts)
            collect_properties(part, out);
}

}  // namespace

YAML::Node response_data_schema(const operation& op)
{
    const YAML::Node ok = resolve(child(child(op.node, "responses"), "200"));
    const YAML::Node schema = child(child(child(ok, "content"), "application/json"), "schema");
    if (!schema.IsDefined())
        throw std::runtime_error(op.path + ": the 200 response has no application/json schema");
    auto data = find_property(schema, "data");
    if (!data)
        throw std::runtime_error(op.path + ": the 200 response schema has no `data` property");
    return *data;
}

std::vector<std::pair<std::string, YAML::Node>> properties(const YAML::Node& schema)
{
    std::vector<std::pair<std::string, YAML::Node>> out;
    collect_properties(schema, out);
    return out;
}

std::string type_of(const YAML::Node& schema)
{
    const YAML::Node t = child(schema, "type");
    if (t.IsScalar())
        return t.as<std::string>();
    if (t.IsSequence())
        for (const auto& e : t)
            if (e.as<std::string>() != "null")
                return e.as<std::string>();
    return {};
}

std::set<std::string> documented_values(const YAML::Node& schema)
{
    std::set<std::string> out;
    const YAML::Node e = child(schema, "enum");
    if (e.IsSequence())
        for (const auto& v : e)
            out.insert(v.as<std::string>());
    static const std::regex one_of(R"(One of\s+((?:`[^`]+`\s*\|?\s*)+))");
    static const std::regex quoted("`([^`]+)`");
    const std::string desc = text(child(schema, "description"));
    for (std::sregex_iterator m(desc.begin(), desc.end(), one_of), end; m != end; ++m)
    {
        const std::string list = (*m)[1];
        for (std::sregex_iterator q(list.begin(), list.end(), quoted); q != end; ++q)
            out.insert((*q)[1]);
    }
    return out;
}

std::vector<documented_code> codes_of_response(const std::string& status_key, const YAML::Node& response_ref)
{
    const YAML::Node response = resolve(response_ref);
    const std::string ref = text(child(response_ref, "$ref"));
    const std::string where = status_key + (ref.empty() ? "" : " (" + ref.substr(ref.rfind('/') + 1) + ")");
    const std::string desc = text(child(response, "description"));
    const bool exact = !status_key.empty() && status_key.find_first_not_of("0123456789") == std::string::npos;

    std::vector<documented_code> out;
    auto add = [&](std::string code, std::size_t at)
    {
        int status = exact ? std::stoi(status_key) : 0;
        if (!exact)
        {
            // "- `auth_unavailable` / `auth_transient` (503) — ...": the status on the code's line.
            const auto eol = desc.find('\n', at);
            static const std::regex paren(R"(\((\d{3})\))");
            std::smatch m;
            const std::string line = desc.substr(at, eol == std::string::npos ? std::string::npos : eol - at);
            if (std::regex_search(line, m, paren))
                status = std::stoi(m[1]);
        }
        for (const auto& c : out)
            if (c.code == code)
                return;
        out.push_back({std::move(code), status, status_key, where});
    };

    static const std::regex token("`([a-z][a-z0-9_]*)`");
    static const std::string intro = "`code` is";
    for (auto pos = desc.find(intro); pos != std::string::npos; pos = desc.find(intro, pos + 1))
    {
        // The list ends at the first blank line after it started ("one of:\n\n- `a`" starts it).
        const std::size_t from = pos + intro.size();
        std::size_t end = desc.size();
        const auto first = desc.find('`', from);
        if (first != std::string::npos)
        {
            const auto blank = desc.find("\n\n", first);
            end = blank == std::string::npos ? desc.size() : blank;
        }
        const std::string span = desc.substr(from, end - from);
        for (std::sregex_iterator m(span.begin(), span.end(), token), stop; m != stop; ++m)
            add((*m)[1], from + static_cast<std::size_t>(m->position(0)));
    }
    static const std::regex assigned(R"(`code\s*=\s*([a-z][a-z0-9_]*)`)");
    for (std::sregex_iterator m(desc.begin(), desc.end(), assigned), stop; m != stop; ++m)
        add((*m)[1], static_cast<std::size_t>(m->position(0)));
    return out;
}

}  // namespace contract
