"""The seed's layer snippets, run with numtorch in place of torch.

Each block is the seed's code with only the import changed; it prints what torch prints
(numtorch.Size in place of torch.Size).
"""
import numtorch as torch
from numtorch import nn

torch.manual_seed(0)

# Recurrent layer: a 2-layer LSTM over batches of 5-step sequences
rnn = nn.LSTM(input_size=10, hidden_size=20, num_layers=2, batch_first=True)
input = torch.randn(32, 5, 10)
output, (h_n, c_n) = rnn(input)
print(output.shape)               # Size([32, 5, 20])
print(h_n.shape, c_n.shape)       # Size([2, 32, 20]) each
print(rnn)

# Transformer layer: multi-head self-attention + feed-forward, each with Add & Norm
transformer_layer = nn.TransformerEncoderLayer(d_model=512, nhead=8, dim_feedforward=2048)
x = torch.randn(10, 32, 512)
print(transformer_layer(x).shape)   # Size([10, 32, 512])

# Normalization layers: the seed's first table
bn = nn.BatchNorm2d(16)
print(bn(torch.randn(8, 16, 4, 4)).shape, nn.LayerNorm(512)(x).shape, nn.GroupNorm(4, 16), nn.RMSNorm(512))

# Linear layer: y = x W^T + b, weight (out, in), bias (out,)
linear = nn.Linear(in_features=10, out_features=5)
x = torch.randn(3, 10)
print(linear(x).shape)            # Size([3, 5])
print(linear.weight.shape, linear.bias.shape)
print(linear)


# The Tudui CIFAR-10 network, built with nn.Sequential
class Tudui(nn.Module):
    def __init__(self):
        super().__init__()
        self.model1 = nn.Sequential(
            nn.Conv2d(in_channels=3, out_channels=32, kernel_size=5, padding=2),
            nn.MaxPool2d(kernel_size=2),
            nn.Conv2d(in_channels=32, out_channels=32, kernel_size=5, padding=2),
            nn.MaxPool2d(kernel_size=2),
            nn.Conv2d(in_channels=32, out_channels=64, kernel_size=5, padding=2),
            nn.MaxPool2d(kernel_size=2),
            nn.Flatten(),
            nn.Linear(in_features=1024, out_features=64),
            nn.Linear(in_features=64, out_features=10))

    def forward(self, x):
        return self.model1(x)


tudui = Tudui()
print(tudui)
input = torch.ones(64, 3, 32, 32)
output = tudui(input)
print(output.shape)               # Size([64, 10])
