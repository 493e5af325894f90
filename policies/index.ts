/**
 * The homelab-media policy pack: qBittorrent can never bypass the VPN, and the host stays closed.
 * Run it with `pulumi preview --policy-pack policies`; the rules live in ./rules.
 */
import { PolicyPack } from "@pulumi/policy";
import { POLICY_PACK_NAME, policies } from "./rules";

new PolicyPack(POLICY_PACK_NAME, { enforcementLevel: "mandatory", policies });
