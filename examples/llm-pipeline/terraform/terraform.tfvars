region                = "eu-west-1"
bucket_name           = "acme-llm-euw1"
ecr_repository_name   = "llm-train"
eks_oidc_provider_arn = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/5C1B2A3F4E6D7C8B9A0F1E2D3C4B5A69"

tags = {
  team        = "ml-platform"
  project     = "llm-pretrain"
  cost-center = "ml-research"
}
