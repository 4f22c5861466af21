// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#ifndef BEEOS_TEST_DTO_PROPERTIES_HPP
#define BEEOS_TEST_DTO_PROPERTIES_HPP

// What the command-line tool's tests expect it to print for an instance: every property of
// InstanceDataDTO in test/contract/beeos-platform-v1.yaml, in its order. Written out here, not
// taken from the tool, so a field the tool drops fails its tests; the contract test checks the
// library's decoder against the spec itself.

#include <string>
#include <vector>

namespace beeos::test {

inline const std::vector<std::string> dto_properties = {
    "id",
    "ownerId",
    "agentFramework",
    "providerId",
    "externalId",
    "osType",
    "hostingType",
    "cloudProvider",
    "name",
    "modelPrimary",
    "models",
    "status",
    "desiredStatus",
    "endpoint",
    "bridgeId",
    "identityId",
    "totalRunSeconds",
    "connectivity",
    "connectivityReason",
    "haltReason",
    "providerConfig",
    "publicIp",
    "clusterId",
    "region",
    "imageId",
    "imageRef",
    "isTrial",
    "expiresAt",
    "errorMessage",
    "systemPrompt",
    "mcpServers",
    "startedAt",
    "stoppedAt",
    "statusEnteredAt",
    "connectivityUpdatedAt",
    "msConnectionStatus",
    "msConnectionUpdatedAt",
    "createdAt",
    "updatedAt",
    "screenshotUrl",
    "screenshotUpdatedAt",
    "capabilities",
};

}  // namespace beeos::test

#endif
