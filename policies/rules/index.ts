/** Every policy of the pack, in the order they are reported. */
import { StackValidationPolicy } from "@pulumi/policy";
import { hostSafetyPolicies } from "./host-safety";
import { placementPolicies } from "./placement";
import { dockerProviderSsh } from "./provider";
import { mediaHardlinkLayout } from "./storage";
import { vpnPolicies } from "./vpn";

export const POLICY_PACK_NAME = "homelab-media";

export const policies: StackValidationPolicy[] = [...vpnPolicies, ...hostSafetyPolicies, dockerProviderSsh, mediaHardlinkLayout, ...placementPolicies];
