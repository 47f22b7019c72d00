variable "region" {
  description = "AWS region for the bucket, registry and training jobs"
  type        = string
  default     = "eu-west-1"
}

variable "bucket_name" {
  description = "S3 bucket holding tokenized datasets (datasets/) and checkpoints (checkpoints/)"
  type        = string
}

variable "ecr_repository_name" {
  description = "ECR repository for the training image"
  type        = string
  default     = "llm-train"
}

variable "eks_oidc_provider_arn" {
  description = "IAM OIDC provider of the EKS cluster, for IRSA"
  type        = string
}

variable "tags" {
  description = "Tags applied to every resource"
  type        = map(string)
  default     = {}
}
