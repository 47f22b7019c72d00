# Storage, image registry and IAM for the LLM pre-training pipeline (SageMaker, EKS, EC2).

terraform {
  required_version = ">= 1.5"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.50"
    }
  }
  backend "s3" {
    bucket         = "acme-terraform-state-euw1"
    key            = "ml-platform/llm-train.tfstate"
    region         = "eu-west-1"
    dynamodb_table = "terraform-locks"
    encrypt        = true
  }
}

provider "aws" {
  region = var.region
  default_tags {
    tags = var.tags
  }
}

# --- datasets and checkpoints ------------------------------------------------

resource "aws_s3_bucket" "llm" {
  bucket = var.bucket_name
}

resource "aws_s3_bucket_versioning" "llm" {
  bucket = aws_s3_bucket.llm.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "llm" {
  bucket = aws_s3_bucket.llm.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "aws:kms"
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_public_access_block" "llm" {
  bucket                  = aws_s3_bucket.llm.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

# --- training image ---------------------------------------------------------------

resource "aws_ecr_repository" "train" {
  name                 = var.ecr_repository_name
  image_tag_mutability = "MUTABLE"
  image_scanning_configuration {
    scan_on_push = true
  }
}

resource "aws_secretsmanager_secret" "wandb" {
  name        = "llm-train/wandb-api-key"
  description = "Weights & Biases API key for training jobs"
}

# --- IAM: one permission set, used by SageMaker/EC2 and by EKS pods (IRSA) ---------

data "aws_iam_policy_document" "train_access" {
  statement {
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.llm.arn]
  }
  statement {
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"]
    resources = ["${aws_s3_bucket.llm.arn}/*"]
  }
  statement {
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [aws_secretsmanager_secret.wandb.arn]
  }
  statement {
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "cloudwatch:namespace"
      values   = ["LLMTraining"]
    }
  }
}

resource "aws_iam_policy" "train_access" {
  name   = "llm-train-access"
  policy = data.aws_iam_policy_document.train_access.json
}

data "aws_iam_policy_document" "sagemaker_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["sagemaker.amazonaws.com", "ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "train" {
  name               = "llm-train-sagemaker"
  assume_role_policy = data.aws_iam_policy_document.sagemaker_assume.json
}

resource "aws_iam_role_policy_attachment" "train" {
  for_each = {
    access    = aws_iam_policy.train_access.arn
    sagemaker = "arn:aws:iam::aws:policy/AmazonSageMakerFullAccess"
    ecr       = "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly"
    ssm       = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
  }
  role       = aws_iam_role.train.name
  policy_arn = each.value
}

resource "aws_iam_instance_profile" "train" {
  name = "llm-train-ec2"
  role = aws_iam_role.train.name
}

data "aws_iam_policy_document" "eks_assume" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [var.eks_oidc_provider_arn]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.oidc_issuer}:sub"
      values   = ["system:serviceaccount:ml-training:llm-train"]
    }
  }
}

locals {
  oidc_issuer = element(split("oidc-provider/", var.eks_oidc_provider_arn), 1)
}

resource "aws_iam_role" "eks_train" {
  name               = "llm-train-eks"
  assume_role_policy = data.aws_iam_policy_document.eks_assume.json
}

resource "aws_iam_role_policy_attachment" "eks_train" {
  role       = aws_iam_role.eks_train.name
  policy_arn = aws_iam_policy.train_access.arn
}

output "eks_role_arn" {
  value = aws_iam_role.eks_train.arn
}
