// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#include "ids.hpp"

#include <fstream>
#include <iostream>
#include <stdexcept>
#include <unordered_set>

namespace beeos::cli
{

namespace
{

bool is_blank(char c) noexcept
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

std::string_view trim(std::string_view s)
{
    while (!s.empty() && is_blank(s.front()))
        s.remove_prefix(1);
    while (!s.empty() && is_blank(s.back()))
        s.remove_suffix(1);
    return s;
}

}  // namespace

void read_ids(std::istream& in, std::vector<std::string>& out)
{
    bool first = true;
    for (std::string line; std::getline(in, line);)
    {
        std::string_view id = line;
        // A UTF-8 byte order mark (editors on Windows write one) is not part of the first id.
        if (first && id.starts_with("\xEF\xBB\xBF"))
            id.remove_prefix(3);
        first = false;
        id = trim(id);
        if (id.empty() || id.front() == '#')
            continue;
        for (std::size_t i = 1; i < id.size(); ++i)
            if (id[i] == '#' && is_blank(id[i - 1]))
            {
                id = trim(id.substr(0, i));
                break;
            }
        out.emplace_back(id);
    }
}

void read_ids_from(const std::string& path, std::vector<std::string>& out)
{
    if (path == "-")
    {
        read_ids(std::cin, out);
        if (std::cin.bad())
            throw std::invalid_argument("--ids-from -: cannot read standard input");
        return;
    }
    std::ifstream file(path);
    if (!file)
        throw std::invalid_argument("--ids-from: cannot open '" + path + "'");
    read_ids(file, out);
    if (file.bad())
        throw std::invalid_argument("--ids-from: cannot read '" + path + "'");
}

std::vector<std::string> unique_ids(std::vector<std::string> ids)
{
    std::unordered_set<std::string_view> seen;
    seen.reserve(ids.size());
    std::vector<std::string> out;
    out.reserve(ids.size());  // never reallocates: the views in `seen` point into `out`
    for (auto& id : ids)
    {
        if (seen.contains(id))
            continue;
        out.push_back(std::move(id));
        seen.insert(out.back());
    }
    return out;
}

}  // namespace beeos::cli
